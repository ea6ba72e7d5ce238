import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * `wrangler dev` for the tests that must reach the Worker through a real HTTP server
 * (raw request lines that `new Request()` would refuse or rewrite). Starting it costs a
 * few seconds, so it starts only when a test asks: the tests get the port of a small
 * launcher, and `GET /start` on it answers `{ "url" }` once the Worker is ready.
 */
const VARS: Record<string, string> = {
  TOKEN_SECRET: 'test-token-secret-0123456789abcdef',
  ADMIN_TOKEN: 'test-admin-token',
  ADMIN_HOST: 'admin.test',
  STRIPE_WEBHOOK_SECRET: 'whsec_test_secret',
  ORIGIN_SECRET: 'test-origin-secret',
  DEV_TOPUP: 'true',
  DEFAULT_SITE: '',
  ORIGIN_TIMEOUT_MS: '1000',
};

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function startWrangler(): Promise<{ url: string; child: ChildProcess; state: string }> {
  const [port, inspector] = [await freePort(), await freePort()];
  const state = mkdtempSync(join(tmpdir(), 'paywall-wrangler-'));
  const args = [
    'node_modules/wrangler/bin/wrangler.js',
    'dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--inspector-port',
    String(inspector),
    '--persist-to',
    state,
    '--show-interactive-dev-session=false',
    ...Object.entries(VARS).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
  ];
  // Its own process group, so that stopping it stops wrangler's children and workerd too.
  const child = spawn(process.execPath, args, {
    cwd: process.cwd(),
    detached: true,
    env: { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false' },
  });
  let output = '';
  const url = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wrangler dev did not start:\n${output}`)), 60_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('Ready on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`wrangler dev exited with ${code}:\n${output}`)));
  });
  return { url, child, state };
}

/** Stops a detached child's whole process group: politely, then for good after 5 s. */
export async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // the group is gone already
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
  signal('SIGKILL');
}

export default async function setup(project: TestProject) {
  let started: Promise<{ url: string; child: ChildProcess; state: string }> | null = null;
  const launcher: Server = createServer((req, res) => {
    if (req.url !== '/start') return res.writeHead(404).end();
    started ??= startWrangler();
    started.then(
      ({ url }) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url })),
      (e) => res.writeHead(500).end(String(e)),
    );
  });
  await new Promise<void>((resolve) => launcher.listen(0, '127.0.0.1', resolve));
  project.provide('wranglerLauncherPort' as never, (launcher.address() as AddressInfo).port as never);
  return async () => {
    launcher.close();
    if (!started) return;
    const { child, state } = await started.catch(() => ({ child: null, state: null }));
    if (child && child.exitCode === null) {
      await stopGroup(child);
    }
    if (state) rmSync(state, { recursive: true, force: true });
  };
}
