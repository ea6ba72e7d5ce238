// The machine a run was measured on.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { createRequire } from 'node:module';

export function describeMachine(root) {
  const require = createRequire(`${root}/package.json`);
  let workerd = 'unknown';
  try {
    workerd = execFileSync(require.resolve('workerd/bin/workerd'), ['--version'], { encoding: 'utf8' }).trim();
  } catch {}
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    workerd,
    workerdPackage: require('workerd/package.json').version,
    miniflare: require('miniflare/package.json').version,
    wrangler: require('wrangler/package.json').version,
    autocannon: require('autocannon/package.json').version,
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
