// The Worker as `wrangler deploy` would upload it, built offline by a dry run: prints its
// size and gzip size (what Cloudflare's upload limit counts), e.g. "bundle: 3144 KiB, gzip 542 KiB".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const outdir = mkdtempSync(join(tmpdir(), 'paywall-bundle-'));
try {
  const run = spawnSync('wrangler', ['deploy', '--dry-run', '--outdir', outdir], {
    encoding: 'utf8',
    // No telemetry: CI may have no network, and the dry run needs none.
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  if (run.status !== 0) {
    process.stderr.write(run.stdout + run.stderr);
    process.exit(run.status ?? 1);
  }
  // The modules uploaded: everything but source maps and wrangler's README.
  const modules = readdirSync(outdir).filter((f) => !f.endsWith('.map') && f !== 'README.md');
  let bytes = 0;
  let gzipBytes = 0;
  for (const f of modules) {
    const content = readFileSync(join(outdir, f));
    bytes += content.length;
    gzipBytes += gzipSync(content).length;
  }
  const kib = (n) => (n / 1024).toFixed(0);
  console.log(`bundle: ${kib(bytes)} KiB, gzip ${kib(gzipBytes)} KiB (${modules.join(', ')})`);
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
