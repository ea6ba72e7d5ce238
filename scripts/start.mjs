#!/usr/bin/env node
// `npm start`: the local demo. Installs dependencies on first run, starts the demo
// publisher's origin, serves the Worker with `wrangler dev`, and seeds the demo site
// through the admin API when it has none. State persists in .wrangler/state.
//
// Environment: PORT (8787), DEMO_ORIGIN_PORT (8788), NEWS_ORIGIN_PORT (8789), PERSIST_DIR (.wrangler/state).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const port = Number(process.env.PORT ?? 8787);
const originPort = Number(process.env.DEMO_ORIGIN_PORT ?? 8788);
const newsOriginPort = Number(process.env.NEWS_ORIGIN_PORT ?? 8789);
const persistDir = process.env.PERSIST_DIR ?? '.wrangler/state';

if (!existsSync(`${root}/node_modules/.bin/wrangler`)) {
  console.log('First run: installing dependencies (npm install)…');
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  // Re-run under npm so that Node 22 from node_modules is first on the PATH.
  const again = spawnSync('npm', ['start'], { cwd: root, stdio: 'inherit' });
  process.exit(again.status ?? 0);
}

const { startDemoOrigin, startNewsOrigin } = await import('../demo/origin-server.mjs');
const { demoSite, newsSite, DEMO_VARS } = await import('../demo/site.mjs');
const { adminRequest } = await import('../demo/admin-api.mjs');

const origin = await startDemoOrigin(originPort).catch((e) => {
  console.error(`Cannot start the demo origin on 127.0.0.1:${originPort}: ${e.message}. Set DEMO_ORIGIN_PORT to a free port.`);
  process.exit(1);
});
const newsOrigin = await startNewsOrigin(newsOriginPort).catch((e) => {
  console.error(
    `Cannot start the second publisher's origin on 127.0.0.1:${newsOriginPort}: ${e.message}. Set NEWS_ORIGIN_PORT to a free port.`,
  );
  process.exit(1);
});

// Card top-ups in the demo: set STRIPE_SECRET_KEY (a test-mode key) in the environment; the
// browser tests also set STRIPE_API_BASE to a local Stripe stand-in.
const stripeVars = Object.fromEntries(
  ['STRIPE_SECRET_KEY', 'STRIPE_API_BASE', 'STRIPE_WEBHOOK_SECRET'].filter((k) => process.env[k]).map((k) => [k, process.env[k]]),
);
const vars = Object.entries({ ...DEMO_VARS, ...stripeVars }).flatMap(([k, v]) => ['--var', `${k}:${v}`]);
const wrangler = spawn(
  `${root}/node_modules/.bin/wrangler`,
  [
    'dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--persist-to',
    persistDir,
    '--inspector-port',
    '0',
    '--show-interactive-dev-session=false',
    ...vars,
  ],
  { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
);

const stop = () => {
  wrangler.kill('SIGTERM');
  origin.close();
  newsOrigin.close();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
wrangler.on('exit', (code) => {
  origin.close();
  newsOrigin.close();
  process.exit(code ?? 0);
});

const base = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/__paywall/healthz`)).ok) break;
  } catch {}
  if (i > 600) {
    console.error('The Worker did not start within 60 s.');
    stop();
  }
  await new Promise((r) => setTimeout(r, 100));
}
for (const doc of [demoSite(`http://127.0.0.1:${originPort}`), newsSite(`http://127.0.0.1:${newsOriginPort}`)]) {
  const site = `/__paywall/api/admin/sites/${doc.host}`;
  const current = await adminRequest(port, 'GET', site);
  // Seeded once, or again when the origin moved (another port this run); a publisher's own edits are kept otherwise.
  if (current.status === 404 || (current.status === 200 && JSON.parse(current.body).origin !== doc.origin)) {
    const res = await adminRequest(port, 'PUT', site, current.status === 200 ? { ...JSON.parse(current.body), origin: doc.origin } : doc);
    if (res.status !== 200) console.error(`Seeding ${doc.host} failed:`, res.status, res.body);
  }
}
console.log(`
  Demo paywall:   ${base}/            (site demo.localhost, origin http://127.0.0.1:${originPort})
                  http://demo.localhost:${port}/   (the same site by its own name)
  Second site:    http://news.localhost:${port}/   (site news.localhost, origin http://127.0.0.1:${newsOriginPort})
  Reader wallet:  http://${DEMO_VARS.WALLET_HOST}:${port}/__paywall/account   (sign in with a passkey; one balance for both sites)
  Admin console:  http://${DEMO_VARS.ADMIN_HOST}:${port}/__paywall/admin   (token: ${DEMO_VARS.ADMIN_TOKEN})
  Ctrl-C stops it; state is kept in ${persistDir}.
`);
