import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { stopGroup } from '../../support/wrangler-dev';

export const CHROMIUM = '/usr/bin/chromium';
export const DEMO_ADMIN_TOKEN = 'demo-admin-token';

/** A free loopback port. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * `persistDir` is the demo's local state (KV, Durable Objects), for `wrangler kv key put --local --persist-to`.
 * `adminUrl` is the admin host (`admin.localhost`, loopback in Chromium), the only one serving the console.
 */
export type Demo = {
  baseUrl: string;
  adminUrl: string;
  walletUrl: string;
  demoUrl: string;
  newsUrl: string;
  persistDir: string;
  stop: () => Promise<void>;
};

/** The real demo (`npm start`), on fresh ports with fresh state, as a new user gets it. */
export async function startDemo(extraEnv: Record<string, string> = {}): Promise<Demo> {
  const [port, originPort, newsOriginPort] = [await freePort(), await freePort(), await freePort()];
  const persistDir = mkdtempSync(join(tmpdir(), 'paywall-demo-'));
  const child: ChildProcess = spawn(process.execPath, ['scripts/start.mjs'], {
    env: {
      ...process.env,
      ...extraEnv,
      PORT: String(port),
      DEMO_ORIGIN_PORT: String(originPort),
      NEWS_ORIGIN_PORT: String(newsOriginPort),
      PERSIST_DIR: persistDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  while (!output.includes('Demo paywall:')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopGroup(child);
      throw new Error(`The demo did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    baseUrl,
    adminUrl: `http://admin.localhost:${port}`,
    walletUrl: `http://wallet.localhost:${port}`,
    demoUrl: `http://demo.localhost:${port}`,
    newsUrl: `http://news.localhost:${port}`,
    persistDir,
    stop: async () => {
      await stopGroup(child);
      rmSync(persistDir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless, with nothing reaching for the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export const screenshotPath = (name: string) => `test/screenshots/${name}.png`;

/**
 * The demo and a browser for one test file: started before its tests, stopped after.
 * The getters read them once the hooks have run.
 */
export function useDemoInBrowser(): { readonly demo: Demo; readonly browser: Browser } {
  let demo: Demo | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    [demo, browser] = await Promise.all([startDemo(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });
  return {
    get demo() {
      return demo!;
    },
    get browser() {
      return browser!;
    },
  };
}
