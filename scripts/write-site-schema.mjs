#!/usr/bin/env node
// `npm run schema`: writes schema/site.schema.json from the zod schema the worker validates
// site documents with. test/rules/admin-schema.test.ts fails when the file is out of date.
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = await build({
  entryPoints: [`${root}src/rules/site-json-schema.ts`],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  write: false,
  logLevel: 'error',
});
const mod = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
mkdirSync(`${root}schema`, { recursive: true });
writeFileSync(`${root}schema/site.schema.json`, `${JSON.stringify(mod.siteJsonSchema(), null, 2)}\n`);
console.log('wrote schema/site.schema.json');
