#!/usr/bin/env node
// `npm run cycles`: fails when a module under src/ imports itself through others. A cycle
// means that no module of it can be read (or tested) without all the others, and that the
// order in which they load decides what each sees. Every import counts, `import type` too:
// the question is whether a reader can follow the code one way, not what the bundler keeps.
// No dependency: the imports of TypeScript sources are simple enough to read with a pattern.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');

function sourcesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourcesUnder(path);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Static imports and re-exports (`import x from`, `import type`, `export * from`, `import './x'`) and `import('./x')`. */
const IMPORT = /(?:^|[\n;])\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file) {
  // Comment lines only: a URL inside a string keeps its `//`.
  const text = readFileSync(file, 'utf8').replace(/^\s*(\/\/|\/?\*).*$/gm, '');
  const found = new Set();
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (!spec?.startsWith('.')) continue;
    const base = resolve(dirname(file), spec);
    const target = [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')].find((p) => existsSync(p) && statSync(p).isFile());
    if (target?.startsWith(src)) found.add(target);
  }
  return [...found];
}

const files = sourcesUnder(src);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

// Tarjan's strongly connected components: every component of more than one module (or a
// module importing itself) is a cycle.
let index = 0;
const stack = [];
const state = new Map();
const components = [];
function visit(v) {
  state.set(v, { index, low: index, onStack: true });
  index += 1;
  stack.push(v);
  for (const w of graph.get(v) ?? []) {
    if (!state.has(w)) {
      visit(w);
      state.get(v).low = Math.min(state.get(v).low, state.get(w).low);
    } else if (state.get(w).onStack) {
      state.get(v).low = Math.min(state.get(v).low, state.get(w).index);
    }
  }
  if (state.get(v).low === state.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      state.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v).includes(v)) components.push(component);
  }
}
for (const f of files) if (!state.has(f)) visit(f);

/** One shortest loop through `start` inside its component, for the message. */
function loopThrough(start, members) {
  const inside = new Set(members);
  const previous = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of graph.get(v)) {
      if (w === start) {
        const path = [v];
        for (let p = previous.get(v); p; p = previous.get(p)) path.unshift(p);
        return [...path, start];
      }
      if (inside.has(w) && !previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

const name = (f) => relative(root, f);
if (components.length === 0) {
  console.log(`no import cycles among ${files.length} modules under src/`);
} else {
  for (const component of components) {
    const first = component.map(name).sort()[0];
    console.error(`import cycle (${component.length} modules): ${loopThrough(join(root, first), component).map(name).join(' → ')}`);
    console.error(`  all of: ${component.map(name).sort().join(', ')}`);
  }
  process.exitCode = 1;
}
