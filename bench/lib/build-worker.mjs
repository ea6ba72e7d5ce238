// Builds the Worker exactly as `wrangler deploy` would bundle it, without deploying.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * `wrangler deploy --dry-run --outdir`: the bundle that would be uploaded. `entry`
 * overrides wrangler.toml's `main` (the cost build wraps the Worker in a counting entry).
 * @param {{ root: string, outdir: string, entry?: string }} options
 * @returns {string} the bundle's path
 */
export function buildWorker({ root, outdir, entry }) {
  rmSync(outdir, { recursive: true, force: true });
  const args = ['wrangler', 'deploy', '--dry-run', '--outdir', outdir, '--config', join(root, 'wrangler.toml')];
  if (entry) args.push(entry);
  execFileSync('npx', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } });
  // wrangler names the bundle after the entry file.
  const script = join(outdir, entry ? basename(entry).replace(/\.[cm]?[jt]s$/, '.js') : 'index.js');
  if (!existsSync(script)) throw new Error(`wrangler did not write ${script}`);
  return script;
}
