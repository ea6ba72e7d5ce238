// No unused dependency: every package in package.json is imported by the project's code,
// run by name (a script, .ci/run, a spawned command), the types of a package that is used,
// or listed in NOT_IMPORTED with the reason it is there. And every one is in the README's
// table of why each is there. Fails, naming them, otherwise.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

/** Needed although nothing imports or runs them, and why. */
const NOT_IMPORTED = {
  '@cloudflare/workers-types':
    "wrangler's optional peer: the Workers types that miniflare's and wrangler's own declarations import (vitest configs, bench)",
};

const CODE = /\.(?:[cm]?[jt]s|tsx)$/;
const SKIP = new Set(['node_modules', '.git', '.wrangler', '.tmp', 'screenshots']);

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (CODE.test(entry.name) || /^tsconfig.*\.json$/.test(entry.name)) yield path;
  }
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const declared = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });

/** Packages the code imports or references, and those tsconfig's "types" name. */
const imported = new Set();
/** Text where a command may be named: the scripts, .ci/run, and quoted strings in the code (spawned commands). */
let commands = `${Object.values(pkg.scripts).join('\n')}\n${readFileSync(join(root, '.ci', 'run'), 'utf8')}`;
const packageOf = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
const bare = (spec) => !spec.startsWith('.') && !spec.startsWith('/') && !spec.includes(':');
for (const file of files(root)) {
  const text = readFileSync(file, 'utf8');
  if (file.endsWith('.json')) {
    // "types": ["node", "@cloudflare/vitest-plugin/types", "./worker-configuration.d.ts"]: "node" is @types/node.
    for (const m of text.matchAll(/"types"\s*:\s*\[([^\]]*)\]/g)) {
      for (const name of JSON.parse(`[${m[1]}]`).filter(bare)) imported.add(name.startsWith('@') ? packageOf(name) : `@types/${name}`);
    }
    continue;
  }
  for (const re of [
    /\bfrom\s+['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]/g,
    /\bimport\s+['"]([^'"]+)['"]/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]/g,
    /<reference\s+types=['"]([^'"]+)['"]/g,
  ]) {
    for (const [, spec] of text.matchAll(re)) if (bare(spec)) imported.add(packageOf(spec));
  }
  commands += `\n${[...text.matchAll(/['"`]([\w@./-]+)['"`]/g)].map((m) => m[1]).join('\n')}`;
}

/** The commands a package puts in node_modules/.bin. */
function binsOf(name) {
  const manifest = join(root, 'node_modules', name, 'package.json');
  if (!existsSync(manifest)) return [];
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8'));
  if (!bin) return [];
  return typeof bin === 'string' ? [name.split('/').pop()] : Object.keys(bin);
}

const run = (name) =>
  binsOf(name).some((bin) => new RegExp(`(^|[\\s'"\`/])${bin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=$|[\\s'"\`])`, 'm').test(commands));
const used = (name) => imported.has(name) || run(name);
/** `@types/d3-scale` types d3-scale, `@types/foo__bar` types @foo/bar. */
const typed = (name) => (name.startsWith('@types/') ? name.slice('@types/'.length).replace(/^(.+)__(.+)$/, '@$1/$2') : null);

const unused = declared.filter((name) => {
  if (name in NOT_IMPORTED || used(name)) return false;
  const of = typed(name);
  return of === null || !used(of);
});
const stale = Object.keys(NOT_IMPORTED).filter((name) => !declared.includes(name) || used(name));

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const table = readme.slice(readme.indexOf('## Dependencies, and why each is there')).split(/\n## /)[0];
const unexplained = declared.filter((name) => !table.includes(`\`${name}\``));

if (unused.length > 0 || stale.length > 0 || unexplained.length > 0) {
  if (unused.length > 0) console.error(`unused dependencies (nothing imports or runs them): ${unused.join(', ')}`);
  if (stale.length > 0) console.error(`scripts/check-deps.mjs lists as not imported what is imported or not declared: ${stale.join(', ')}`);
  if (unexplained.length > 0) console.error(`not in the README's "Dependencies, and why each is there": ${unexplained.join(', ')}`);
  process.exit(1);
}
console.log(`dependencies: all ${declared.length} used, and each explained in the README`);
