// `npm run bench` (or `npm run bench -- --quick`): the paywall against pass-through and the
// usual stack, side by side in one run. Writes bench/RESULTS.md and bench/results.json.
import { chmodSync, existsSync, mkdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { buildWorker } from './lib/build-worker.mjs';
import { measureCosts } from './lib/cost.mjs';
import { profileWhile } from './lib/cpu-profile.mjs';
import { mapLimit, request } from './lib/http.mjs';
import { runLoad } from './lib/load.mjs';
import { pacedLatencyMix } from './lib/paced.mjs';
import { describeMachine } from './lib/machine.mjs';
import { SCHEMA, signToken, startNodePgStack } from './lib/node-pg-stack.mjs';
import { startOrigin } from './lib/origin-server.mjs';
import { fireBeyondMoney } from './lib/overspend.mjs';
import { startPostgres } from './lib/postgres.mjs';
import { PRICES, usdPerMillionViews } from './lib/prices.mjs';
import { cpuSeconds, descendantsNamed, machineBusySeconds, processTree } from './lib/proc-cpu.mjs';
import { createReaders, totalBalance } from './lib/readers.mjs';
import { writeReport } from './lib/report.mjs';
import { MAIN_HOST, PAID_PRICE, REVIEW_PRICE, mainSite, sectionPath, sectionSite, seedSite } from './lib/sites.mjs';
import { BENCH_SECRETS, startWorkerd } from './lib/workerd.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const allowInstall = !args.includes('--no-install');

const MODE = quick
  ? {
      name: 'quick',
      durationS: 4,
      warmupS: 1,
      rounds: 1,
      rulePairs: 3,
      rulePairS: 3,
      latencyS: 10,
      readers: 1000,
      costViews: 200,
      profileS: 3,
      settleS: 10,
      disk: false,
    }
  : {
      name: 'full',
      durationS: 8,
      warmupS: 2,
      rounds: 3,
      rulePairs: 5,
      rulePairS: 6,
      latencyS: 30,
      readers: 1000,
      costViews: 1000,
      profileS: 5,
      settleS: 15,
      disk: true,
    };
/** Scenarios compared as a pair, run back to back in alternation, so that a stall of the machine hits one pair, not the ratio. */
const PAIRED = ['rules10', 'rules10k'];
const CONNECTIONS = 32;
const LATENCY = { rate: 300, coldRate: 20, coldViews: 100 };
const COST_FLUSH_S = 2;
const OVERSPEND = { fundedViews: 20, views: 600, concurrency: 50 };
const OVERSPEND_READERS = 10;
/**
 * Issue 18's slow-origin case, as a paid view runs on Cloudflare: every wallet call waits
 * 5 ms first (the hop to the reader's object), the origin answers in 20 ms. Run twice, the
 * wallet beside the origin fetch (this design) and before it (BENCH_SERIAL_WALLET, as before).
 */
const SLOW = { walletDelayMs: 5, originMs: 20, readers: 20, rate: 100, durationS: quick ? 6 : 20 };
const HOT_TOPUP = 100_000_000_000;
const READER_TOPUP = 1_000_000_000;

const log = (...m) => console.log(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(3)}s]`, ...m);
const t0 = Date.now();
const cleanups = [];
async function cleanup() {
  while (cleanups.length) {
    try {
      await cleanups.pop()();
    } catch (e) {
      console.error('cleanup failed:', /** @type {Error} */ (e).message);
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await cleanup();
    process.exit(130);
  });
}

/** @returns {Promise<number>} */
async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
  });
}

/**
 * What a scenario loads: runLoad's options, with `connections` defaulting to CONNECTIONS
 * and `warmViews`, when given, the number of views its warm-up makes.
 * @typedef {Omit<import('./lib/load.mjs').LoadOptions, 'connections'> & { connections?: number, warmViews?: number }} ScenarioOptions
 */

/**
 * A run's result, with the CPU it cost.
 * @typedef {import('./lib/load.mjs').LoadResult & { serverCpuMsPerView: number | null, otherProcessesCores: number }} MeasuredRun
 */

/**
 * Runs a scenario (after a warm-up) and records the CPU of workerd and of the rest of the machine.
 * @param {string} name
 * @param {ScenarioOptions} options
 * @param {{ warmupS?: number, durationS?: number, cpuPids?: number[] }} [timing]
 * @returns {Promise<MeasuredRun>}
 */
async function measureRun(name, options, { warmupS = MODE.warmupS, durationS = MODE.durationS, cpuPids = [] } = {}) {
  if (warmupS > 0) await warmUp(options, warmupS);
  const ours = processTree(process.pid);
  const busy0 = machineBusySeconds();
  const ours0 = cpuSeconds(ours);
  const cpu0 = cpuSeconds(cpuPids);
  // Its CPU figures are added below.
  const result = /** @type {MeasuredRun} */ (await runLoad({ ...options, connections: options.connections ?? CONNECTIONS, durationS }));
  const busy = machineBusySeconds() - busy0;
  const own = cpuSeconds(ours) - ours0;
  const serverCpu = cpuSeconds(cpuPids) - cpu0;
  result.serverCpuMsPerView = cpuPids.length && result.ok ? round((1000 * serverCpu) / result.ok, 3) : null;
  result.otherProcessesCores = round(Math.max(0, busy - own) / result.durationS, 2);
  log(
    `${name.padEnd(16)} ${String(result.okPerSecond).padStart(6)}/s  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms  cpu ${result.serverCpuMsPerView} ms/view  non-2xx ${result.non2xx}  other load ${result.otherProcessesCores} cores`,
  );
  return result;
}

/**
 * A warm-up of `warmupS`, or, for a scenario that rotates over many readers, long enough
 * for each of them to view twice: a reader's first view in a while constructs its wallet
 * object, which is the cold-wallet case measured apart, not the load being measured.
 * @param {ScenarioOptions} options
 * @param {number} warmupS
 */
async function warmUp(options, warmupS) {
  const connections = options.connections ?? CONNECTIONS;
  if (options.warmViews) return runLoad({ ...options, connections, amount: options.warmViews });
  return runLoad({ ...options, connections, durationS: warmupS });
}

/** @param {number} x */
function round(x, digits = 2) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * How much latency `a` adds over `b`, in ms; null when either has none (no 2xx answer),
 * which the report shows as n/a.
 * @param {number | null} a
 * @param {number | null} b
 */
function added(a, b) {
  return a === null || b === null ? null : round(a - b, 2);
}

/**
 * @param {(number | null | undefined)[]} values
 * @returns {number | null}
 */
function median(values) {
  const v = /** @type {number[]} */ (values.filter((x) => x !== null && x !== undefined)).sort((a, b) => a - b);
  if (!v.length) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

/**
 * The round whose throughput is the median one: its latencies and CPU go with it.
 * @param {MeasuredRun[]} rounds
 */
function medianRound(rounds) {
  const sorted = [...rounds].sort((a, b) => a.okPerSecond - b.okPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

async function main() {
  const machine = describeMachine(root);
  log(`mode ${MODE.name}; ${machine.cpuModel}, ${machine.cores} cores; load average ${machine.loadAverageAtStart.join(' ')}`);
  /** @type {Record<string, any>} What results.json holds. */
  const results = {
    command: quick ? 'npm run bench -- --quick' : 'npm run bench',
    mode: MODE,
    startedAt: new Date().toISOString(),
    machine,
    setup: {},
  };

  // Storage: tmpfs where there is one (see RESULTS.md: local workerd fsyncs every commit on its only thread).
  const storageParent = existsSync('/dev/shm') ? '/dev/shm' : join(here, '.tmp');
  mkdirSync(storageParent, { recursive: true });
  const storage = mkdtempSync(join(storageParent, 'paywall-bench-'));
  chmodSync(storage, 0o711); // PostgreSQL runs as its own user below it
  cleanups.push(() => rmSync(storage, { recursive: true, force: true }));
  results.setup.storage = storageParent === '/dev/shm' ? 'tmpfs (/dev/shm)' : 'disk (bench/.tmp)';

  log('building the Worker: wrangler deploy --dry-run --outdir');
  const paywallScript = buildWorker({ root, outdir: join(here, '.tmp', 'build') });
  const costScript = buildWorker({ root, outdir: join(here, '.tmp', 'cost-build'), entry: join(here, 'cost-entry.ts') });

  const origin = await startOrigin();
  cleanups.push(origin.stop);
  const inspectorPort = await freePort();
  /** The paywall (some build of it) beside the naive-KV and floor Workers, in one workerd. */
  const startBenchWorkerd = (options) =>
    startWorkerd({
      root,
      naiveScript: join(here, 'lib', 'naive-kv-worker.js'),
      floorScript: join(here, 'lib', 'floor-worker.js'),
      originUrl: origin.url,
      naivePriceMicros: PAID_PRICE,
      ...options,
    });
  const w = await startBenchWorkerd({
    paywallScript,
    inspectorPort,
    storageDir: join(storage, 'workerd'),
  });
  cleanups.push(w.stop);
  const workerdPids = descendantsNamed(process.pid, 'workerd');
  log(
    `workerd up (pids ${workerdPids.join(', ')}): paywall ${w.paywallUrl}, naive KV ${w.naiveUrl}, floor ${w.floorUrl}; origin ${origin.url}`,
  );

  const RULES10 = 'rules10.bench';
  const RULES10K = 'rules10k.bench';
  await seedSite(w.kv, mainSite(origin.url));
  await seedSite(w.kv, sectionSite(RULES10, origin.url, 10));
  await seedSite(w.kv, sectionSite(RULES10K, origin.url, 10_000));
  for (const host of [MAIN_HOST, RULES10, RULES10K]) {
    const cold = Date.now();
    const res = await request(w.paywallUrl, '/cold-load', { host });
    if (res.status !== 200) throw new Error(`first view of ${host} answered ${res.status}: ${res.text}`);
    results.setup[`firstViewMs:${host}`] = Date.now() - cold;
  }

  log(`creating ${MODE.readers} readers through the Worker's API`);
  const readers = await createReaders(w.paywallUrl, MAIN_HOST, MODE.readers, READER_TOPUP);
  const [hot] = await createReaders(w.paywallUrl, MAIN_HOST, 1, HOT_TOPUP);
  await mapLimit(readers, 32, (r) => w.naiveKv.put(`balance:${r.readerId}`, String(READER_TOPUP)));

  // The usual stack: Node + PostgreSQL.
  /** @type {(Awaited<ReturnType<typeof startNodePgStack>> & { client?: pg.Client, tokens?: string[] }) | null} */
  let stack = null;
  const pgState = await startPostgres({ parent: storage, allowInstall, log });
  if (pgState.skipped !== undefined) {
    log(`PostgreSQL scenario skipped: ${pgState.skipped}`);
    results.setup.postgres = { skipped: pgState.skipped };
  } else {
    cleanups.push(pgState.stop);
    const client = new pg.Client(pgState.url);
    await client.connect();
    await client.query(SCHEMA);
    await client.query('INSERT INTO balances (reader, balance) SELECT unnest($1::text[]), $2', [
      readers.map((r) => r.readerId),
      READER_TOPUP,
    ]);
    stack = await startNodePgStack({
      databaseUrl: pgState.url,
      originUrl: origin.url,
      secret: BENCH_SECRETS.TOKEN_SECRET,
      priceMicros: PAID_PRICE,
      poolSize: 32,
    });
    cleanups.push(stack.stop);
    stack.client = client;
    cleanups.push(() => client.end());
    stack.tokens = readers.map((r) => `Bearer ${signToken(BENCH_SECRETS.TOKEN_SECRET, r.readerId)}`);
    results.setup.postgres = {
      version: pgState.version,
      pool: 32,
      durability: 'defaults (fsync on, synchronous_commit on), data directory on the same tmpfs',
    };
    log(`${pgState.version} up; Node + PostgreSQL stack on ${stack.url}`);
  }

  // Every reader views the windowed article once, so that the re-view scenario is all re-views.
  await mapLimit(readers, 16, async (r) => {
    const res = await request(w.paywallUrl, '/articles/bench', { host: MAIN_HOST, headers: { authorization: r.auth } });
    if (res.headers['paywall-charged-micros'] !== String(REVIEW_PRICE))
      throw new Error(`priming the window charged ${res.headers['paywall-charged-micros']}`);
  });

  const rotate = (list) => (i) => list[i % list.length].auth;
  const scenarios = {
    origin: {
      label: '1. origin directly',
      options: { url: origin.url, pathFor: (i) => `/articles/page-${i % 5000}` },
      cpuPids: [origin.pid],
    },
    passThrough: {
      label: '2. Worker, free path (pass-through)',
      options: { url: w.paywallUrl, host: MAIN_HOST, pathFor: (i) => `/free/page-${i % 5000}` },
      cpuPids: workerdPids,
    },
    paid1000: {
      label: '3. paid views, 1,000 readers',
      options: {
        url: w.paywallUrl,
        host: MAIN_HOST,
        pathFor: (i) => `/paid/story-${i % 5000}`,
        authFor: rotate(readers),
        warmViews: 2 * readers.length,
      },
      cpuPids: workerdPids,
    },
    hotReader: {
      label: '4. paid views, one hot reader',
      options: { url: w.paywallUrl, host: MAIN_HOST, pathFor: (i) => `/paid/story-${i % 5000}`, authFor: () => hot.auth },
      cpuPids: workerdPids,
    },
    reviews: {
      label: '5. re-views inside the window',
      options: { url: w.paywallUrl, host: MAIN_HOST, path: '/articles/bench', authFor: rotate(readers), warmViews: 2 * readers.length },
      cpuPids: workerdPids,
    },
    rules10: {
      label: '6a. paid views, site of 10 rules',
      options: {
        url: w.paywallUrl,
        host: RULES10,
        pathFor: (i) => sectionPath(i, 9, i),
        authFor: rotate(readers),
        warmViews: 2 * readers.length,
      },
      cpuPids: workerdPids,
    },
    rules10k: {
      label: '6b. paid views, site of 10,000 rules',
      options: {
        url: w.paywallUrl,
        host: RULES10K,
        pathFor: (i) => sectionPath(i, 9999, i),
        authFor: rotate(readers),
        warmViews: 2 * readers.length,
      },
      cpuPids: workerdPids,
    },
    postgres: stack && {
      label: '7. Node + PostgreSQL, paid views, 1,000 readers',
      options: {
        url: stack.url,
        pathFor: (i) => `/paid/story-${i % 5000}`,
        authFor: rotate(/** @type {string[]} */ (stack.tokens).map((auth) => ({ auth }))),
      },
      cpuPids: /** @type {const} */ ('stack'),
    },
    naiveKv: {
      label: '8. naive KV balance, paid views, 1,000 readers',
      options: {
        url: w.naiveUrl,
        pathFor: (i) => `/paid/story-${i % 5000}`,
        authFor: (i) => `Bearer ${readers[i % readers.length].readerId}`,
      },
      cpuPids: workerdPids,
    },
    floorPass: {
      label: 'floor: bare pass-through Worker',
      options: { url: w.floorUrl, pathFor: (i) => `/free/page-${i % 5000}` },
      cpuPids: workerdPids,
    },
    floorRpc: {
      label: 'floor: bare Worker + 2 empty Durable Object RPCs',
      options: { url: w.floorUrl, pathFor: (i) => `/rpc/page-${i % 5000}`, authFor: rotate(readers), warmViews: 2 * readers.length },
      cpuPids: workerdPids,
    },
    floorRpc1: {
      label: 'floor: bare Worker + 1 empty Durable Object RPC beside the origin fetch',
      options: { url: w.floorUrl, pathFor: (i) => `/rpc1/page-${i % 5000}`, authFor: rotate(readers), warmViews: 2 * readers.length },
      cpuPids: workerdPids,
    },
  };
  const stackPids = () => (stack ? processTree(stack.pid).concat(descendantsNamed(process.pid, 'postgres')) : []);

  // Latency at a fixed, moderate rate: what the paywall adds to one view, without queueing.
  // First, before the load has woken thousands of Durable Objects: when many objects go
  // idle together, workerd's only thread stalls for tens to hundreds of milliseconds some
  // ten seconds later (measured while writing the bench), whatever Worker it is serving.
  // So this runs before the load, and waits out the stall that follows the setup.
  // The scenarios are interleaved request by request, so machine stalls hit them alike.
  log(`latency: ${LATENCY.rate} evenly spaced views/s, scenarios interleaved`);
  // Twenty readers in turn keep their wallet objects in memory, as under load. Cold wallets
  // (an object constructed for the view, as for a reader who reads every few minutes) are
  // measured apart, briefly: objects created at a steady rate are evicted at the same rate
  // some ten seconds later, and that churn stalls every Worker on the thread.
  const warm = readers.slice(0, 20);
  const variants = {
    origin: scenarios.origin.options,
    floorPass: scenarios.floorPass.options,
    passThrough: scenarios.passThrough.options,
    paidWarmWallet: { ...scenarios.paid1000.options, authFor: rotate(warm) },
    floorRpc: { ...scenarios.floorRpc.options, authFor: rotate(warm) },
  };
  if (scenarios.postgres) variants.postgres = scenarios.postgres.options;
  log(`waiting ${MODE.settleS} s for the setup's Durable Objects to be evicted`);
  await new Promise((r) => setTimeout(r, MODE.settleS * 1000));
  await pacedLatencyMix({ variants, rate: LATENCY.rate, durationS: 1 });
  const latency = await pacedLatencyMix({ variants, rate: LATENCY.rate, durationS: MODE.latencyS });
  const cold = readers.slice(100, 100 + LATENCY.coldViews);
  const coldVariants = {
    passThroughBeside: scenarios.passThrough.options,
    paidColdWallet: { ...scenarios.paid1000.options, authFor: (i) => cold[i].auth },
    floorRpcCold: { ...scenarios.floorRpc.options, authFor: (i) => `Bearer cold-${i}` },
  };
  const coldLatency = await pacedLatencyMix({
    variants: coldVariants,
    rate: LATENCY.coldRate * 3,
    durationS: LATENCY.coldViews / LATENCY.coldRate,
  });
  for (const [name, x] of [...Object.entries(latency), ...Object.entries(coldLatency)])
    log(`${name.padEnd(17)} @${Math.round(x.rate)}/s  p50 ${x.p50Ms} ms  p90 ${x.p90Ms} ms  p99 ${x.p99Ms} ms  non-2xx ${x.non2xx}`);

  /** @type {Record<string, MeasuredRun[]>} */
  const rounds = {};
  const chargeChecks = [];
  for (let round = 1; round <= MODE.rounds; round++) {
    log(`round ${round} of ${MODE.rounds}`);
    for (const [name, s] of Object.entries(scenarios)) {
      if (!s || PAIRED.includes(name)) continue;
      const cpuPids = s.cpuPids === 'stack' ? stackPids() : s.cpuPids;
      const checked = name === 'paid1000' || name === 'reviews';
      const before = checked ? await totalBalance(w.paywallUrl, MAIN_HOST, readers) : 0;
      // The warm-up's views are charged too, so the check counts them.
      let warmOk = 0;
      if (checked) warmOk = (await warmUp(s.options, MODE.warmupS)).ok;
      const r = await measureRun(name, s.options, { cpuPids, warmupS: checked ? 0 : MODE.warmupS });
      (rounds[name] ??= []).push(r);
      if (checked) {
        const after = await totalBalance(w.paywallUrl, MAIN_HOST, readers);
        const price = name === 'paid1000' ? PAID_PRICE : 0;
        chargeChecks.push({
          scenario: name,
          round,
          views2xxReceived: warmOk + r.ok,
          chargedMicros: before - after,
          expectedMicros: (warmOk + r.ok) * price,
          inFlightAtStopMax: CONNECTIONS * 2,
        });
      }
    }
  }

  // The rule-count pair: 10 rules, then 10,000, then again, each pair's ratio on its own.
  const pairRatios = [];
  for (let pair = 1; pair <= MODE.rulePairs; pair++) {
    log(`rules pair ${pair} of ${MODE.rulePairs}`);
    const [a, b] = PAIRED;
    const ra = await measureRun(a, scenarios[a].options, { cpuPids: scenarios[a].cpuPids, warmupS: 1, durationS: MODE.rulePairS });
    const rb = await measureRun(b, scenarios[b].options, { cpuPids: scenarios[b].cpuPids, warmupS: 1, durationS: MODE.rulePairS });
    (rounds[a] ??= []).push(ra);
    (rounds[b] ??= []).push(rb);
    if (ra.okPerSecond) pairRatios.push(rb.okPerSecond / ra.okPerSecond);
  }

  // Overspend: a known amount of money, more paid views than it covers.
  log('overspend: more paid views than the money covers');
  const overspend = {};
  {
    const funded = OVERSPEND.fundedViews * PAID_PRICE;
    const ws = await createReaders(w.paywallUrl, MAIN_HOST, OVERSPEND_READERS, funded);
    const fired = await fireBeyondMoney({
      url: w.paywallUrl,
      host: MAIN_HOST,
      path: '/paid/overspend',
      readers: ws.map((r) => ({ ...r, key: r.readerId })),
      ...OVERSPEND,
    });
    const balances = await mapLimit(
      ws,
      8,
      async (r) =>
        (await request(w.paywallUrl, '/__paywall/api/me', { host: MAIN_HOST, headers: { authorization: r.auth } })).json.balanceMicros,
    );
    fired.moneyMicros = funded * ws.length;
    fired.chargedMicros = fired.moneyMicros - balances.reduce((a, b) => a + b, 0);
    fired.lowestBalanceMicros = Math.min(...balances);
    overspend.worker = fired;
  }
  if (stack) {
    const funded = OVERSPEND.fundedViews * PAID_PRICE;
    const ids = Array.from({ length: OVERSPEND_READERS }, (_, i) => `r_overspend_${i}`);
    await stack.client.query('INSERT INTO balances (reader, balance) SELECT unnest($1::text[]), $2', [ids, funded]);
    const ps = ids.map((id) => ({ key: id, auth: `Bearer ${signToken(BENCH_SECRETS.TOKEN_SECRET, id)}` }));
    const fired = await fireBeyondMoney({ url: stack.url, path: '/paid/overspend', readers: ps, ...OVERSPEND });
    const { rows } = await stack.client.query('SELECT balance FROM balances WHERE reader = ANY($1)', [ids]);
    fired.moneyMicros = funded * ids.length;
    fired.chargedMicros = fired.moneyMicros - rows.reduce((a, r) => a + Number(r.balance), 0);
    fired.lowestBalanceMicros = Math.min(...rows.map((r) => Number(r.balance)));
    overspend.postgres = fired;
  }
  {
    const funded = OVERSPEND.fundedViews * PAID_PRICE;
    const ids = Array.from({ length: OVERSPEND_READERS }, (_, i) => `overspend-${i}`);
    await Promise.all(ids.map((id) => w.naiveKv.put(`balance:${id}`, String(funded))));
    const fired = await fireBeyondMoney({
      url: w.naiveUrl,
      path: '/paid/overspend',
      readers: ids.map((id) => ({ key: id, auth: `Bearer ${id}` })),
      ...OVERSPEND,
    });
    const balances = await Promise.all(ids.map(async (id) => Number(await w.naiveKv.get(`balance:${id}`))));
    fired.moneyMicros = funded * ids.length;
    fired.chargedMicros = fired.moneyMicros - balances.reduce((a, b) => a + b, 0);
    fired.lowestBalanceMicros = Math.min(...balances);
    overspend.naiveKv = fired;
  }
  for (const [k, v] of Object.entries(overspend))
    log(`overspend ${k}: served ${v.served} of ${v.fired} for money covering ${v.fundedViews}; ${v.viewsBeyondMoney} beyond the money`);

  // Where a paid view's time goes: a CPU profile of the Worker's isolate.
  log('profiling paid views (1,000 readers)');
  const profileFile = join(here, '.tmp', 'paid-views.cpuprofile');
  const { top: profileTop } = await profileWhile(
    `ws://127.0.0.1:${inspectorPort}/core:user:paywall`,
    profileFile,
    () => runLoad({ ...scenarios.paid1000.options, connections: CONNECTIONS, durationS: MODE.profileS }),
    readFileSync(paywallScript, 'utf8'),
  );

  // Cost: the counting build in its own workerd.
  log('cost: counting billable operations per view');
  const costW = await startBenchWorkerd({
    paywallScript: costScript,
    storageDir: join(storage, 'workerd-cost'),
    // What a usage flush costs does not depend on how often it runs; a short period keeps the wait short.
    vars: { USAGE_FLUSH_SECONDS: String(COST_FLUSH_S) },
  });
  cleanups.push(costW.stop);
  await seedSite(costW.kv, mainSite(origin.url));
  const counted = await measureCosts(costW.paywallUrl, { views: MODE.costViews, flushS: COST_FLUSH_S });

  // The slow-origin case in workerds of their own (the delay is a var of the Worker).
  log(`slow origin: wallet calls ${SLOW.walletDelayMs} ms away, origin answering in ${SLOW.originMs} ms`);
  const slowOrigin = {};
  for (const [design, vars] of /** @type {[string, Record<string, string>][]} */ ([
    ['walletBesideOrigin', {}],
    ['walletBeforeOrigin', { BENCH_SERIAL_WALLET: 'true' }],
  ])) {
    const sw = await startBenchWorkerd({
      paywallScript,
      storageDir: join(storage, `workerd-slow-${design}`),
      vars: { BENCH_WALLET_DELAY_MS: String(SLOW.walletDelayMs), ...vars },
    });
    try {
      await seedSite(sw.kv, mainSite(origin.url));
      const slowReaders = await createReaders(sw.paywallUrl, MAIN_HOST, SLOW.readers, READER_TOPUP);
      const slowVariants = {
        passThrough: { url: sw.paywallUrl, host: MAIN_HOST, pathFor: (i) => `/free/delay-${SLOW.originMs}/page-${i % 5000}` },
        paid: {
          url: sw.paywallUrl,
          host: MAIN_HOST,
          pathFor: (i) => `/paid/delay-${SLOW.originMs}/story-${i % 5000}`,
          authFor: rotate(slowReaders),
        },
      };
      // A warm-up in which each reader views a few times: their wallets are in memory, and this isolate has heard from them.
      await pacedLatencyMix({ variants: slowVariants, rate: SLOW.rate, durationS: 2 });
      const x = await pacedLatencyMix({ variants: slowVariants, rate: SLOW.rate, durationS: SLOW.durationS });
      slowOrigin[design] = { ...x, addedP50Ms: added(x.paid.p50Ms, x.passThrough.p50Ms) };
      log(
        `slow origin, ${design}: pass-through p50 ${x.passThrough.p50Ms} ms, paid p50 ${x.paid.p50Ms} ms (+${slowOrigin[design].addedP50Ms} ms), non-2xx ${x.paid.non2xx}`,
      );
    } finally {
      await sw.stop();
    }
  }

  // The same paid views with the Durable Objects' SQLite files on disk instead of tmpfs.
  /** @type {(MeasuredRun & { readers?: number }) | null} */
  let onDisk = null;
  if (MODE.disk) {
    log('paid views with the Durable Object files on disk');
    const diskDir = mkdtempSync(join(here, '.tmp', 'disk-'));
    cleanups.push(() => rmSync(diskDir, { recursive: true, force: true }));
    const diskW = await startBenchWorkerd({
      paywallScript,
      storageDir: diskDir,
    });
    cleanups.push(diskW.stop);
    await seedSite(diskW.kv, mainSite(origin.url));
    const diskReaders = await createReaders(diskW.paywallUrl, MAIN_HOST, 200, READER_TOPUP);
    const diskPids = descendantsNamed(process.pid, 'workerd').filter((pid) => !workerdPids.includes(pid));
    onDisk = await measureRun(
      'paid on disk',
      { url: diskW.paywallUrl, host: MAIN_HOST, pathFor: (i) => `/paid/story-${i % 5000}`, authFor: rotate(diskReaders) },
      { cpuPids: diskPids },
    );
    onDisk.readers = diskReaders.length;
    await diskW.stop();
  }

  // Results.
  const med = {};
  for (const [name, list] of Object.entries(rounds)) {
    const m = medianRound(list);
    med[name] = { ...m, okPerSecondMedian: median(list.map((r) => r.okPerSecond)), okPerSecondRounds: list.map((r) => r.okPerSecond) };
  }
  const tp = (name) => med[name]?.okPerSecondMedian ?? null;
  const ratio = (a, b) => (tp(a) && tp(b) ? round(tp(a) / tp(b), 3) : null);
  const cpuMsPerPaidView = med.paid1000.serverCpuMsPerView;
  const doActiveMs = latency.paidWarmWallet.p50Ms; // a generous bound: the object works only during the charge
  // A paid view's own path, then the usage roll-up it causes, amortised at two paces: a reader
  // who views once per flush period (each view pays a whole flush) and one who views ten times.
  const pathInputs = {
    workerRequests: 1,
    cpuMs: cpuMsPerPaidView,
    doRequests: counted.paid.doRequests,
    doActiveMs,
    rowsWritten: counted.paid.rowsWritten,
    rowsRead: 10,
    kvReads: counted.paid.kvReads,
    kvWrites: counted.paid.kvWrites,
  };
  const withUsage = (f) => ({
    ...pathInputs,
    doRequests: pathInputs.doRequests + f.walletFlushes + f.deliveries + f.usageFlushes,
    rowsWritten: pathInputs.rowsWritten + f.walletAlarmsSet + f.walletRows + f.usageRows + f.usageAlarmsSet,
    kvWrites: pathInputs.kvWrites + f.usageKvWrites,
  });
  const costInputs = withUsage(counted.usageFlush.onePerPeriod.perView);
  const busyInputs = withUsage(counted.usageFlush.tenPerPeriod.perView);
  const usd = usdPerMillionViews(costInputs);
  const usdPath = usdPerMillionViews(pathInputs);
  const usdBusy = usdPerMillionViews(busyInputs);
  const revenuePerMillion = (1000 / 1_000_000) * 1_000_000; // a 1,000-micro view is $0.001

  Object.assign(results, {
    finishedAt: new Date().toISOString(),
    scenarios: Object.fromEntries(
      Object.entries(scenarios)
        .filter(([, s]) => s)
        .map(([k, s]) => [k, { label: /** @type {{ label: string }} */ (s).label, ...med[k] }]),
    ),
    latency,
    ratios: {
      paid1000OverPassThrough: ratio('paid1000', 'passThrough'),
      rules10kOverRules10: pairRatios.length ? round(/** @type {number} */ (median(pairRatios)), 3) : null,
      rules10kOverRules10Pairs: pairRatios.map((x) => round(x, 3)),
      paidOverPostgres: stack ? ratio('paid1000', 'postgres') : null,
      passThroughOverOrigin: ratio('passThrough', 'origin'),
      floorRpcOverFloorPass: ratio('floorRpc', 'floorPass'),
      floorRpc1OverFloorPass: ratio('floorRpc1', 'floorPass'),
      hotReaderOverPaid1000: ratio('hotReader', 'paid1000'),
      naiveKvOverPaid: ratio('naiveKv', 'paid1000'),
    },
    hotReaderPerSecond: tp('hotReader'),
    addedP99Ms: added(latency.paidWarmWallet.p99Ms, latency.passThrough.p99Ms),
    addedP50Ms: added(latency.paidWarmWallet.p50Ms, latency.passThrough.p50Ms),
    addedP90Ms: added(latency.paidWarmWallet.p90Ms, latency.passThrough.p90Ms),
    addedP50MsSlowOrigin: slowOrigin.walletBesideOrigin.addedP50Ms,
    addedP50MsSlowOriginWalletFirst: slowOrigin.walletBeforeOrigin.addedP50Ms,
    slowOrigin: { ...SLOW, ...slowOrigin },
    coldLatency,
    addedColdWalletMs: {
      p50: added(coldLatency.paidColdWallet.p50Ms, coldLatency.passThroughBeside.p50Ms),
      p90: added(coldLatency.paidColdWallet.p90Ms, coldLatency.passThroughBeside.p90Ms),
    },
    overspend: {
      worker: overspend.worker.viewsBeyondMoney,
      postgres: overspend.postgres ? overspend.postgres.viewsBeyondMoney : null,
      naiveKv: overspend.naiveKv.viewsBeyondMoney,
    },
    overspendDetail: overspend,
    chargeChecks,
    cost: {
      sqliteRowsPerPaidView: counted.paid.rowsWritten,
      sqliteRowsPerPaidViewWithUsage: round(costInputs.rowsWritten, 3),
      kvOpsPerWarmView: Math.max(counted.free.kvOps, counted.paid.kvOps, counted.review.kvOps),
      doRequestsPerPaidView: counted.paid.doRequests,
      doRequestsPerPaidViewFirstRead: counted.paidFirstRead.doRequests,
      doRequestsPerHotView: counted.hot.doRequests,
      sqliteRowsPerHotView: counted.hot.rowsWritten,
      sqliteRowsPerPaidViewFirstRead: counted.paidFirstRead.rowsWritten,
      cpuMsPerPaidView,
      doActiveMsPerPaidView: doActiveMs,
      usdPerMillionPaidViews: round(usd.total, 4),
      usdPerMillionPaidViewsOwnPath: round(usdPath.total, 4),
      usdPerMillionPaidViewsTenPerPeriod: round(usdBusy.total, 4),
      pathInputs,
      busyInputs,
      usdLines: Object.fromEntries(Object.entries(usd.lines).map(([k, v]) => [k, round(v, 5)])),
      shareOf1000MicroView: round(usd.total / revenuePerMillion, 6),
      inputs: costInputs,
      counted,
      prices: PRICES,
    },
    profileTop,
    paidWithDurableObjectFilesOnDisk: onDisk,
  });
  results.otherLoadCoresMax = round(
    Math.max(
      ...Object.values(rounds)
        .flat()
        .map((r) => r.otherProcessesCores),
    ),
    2,
  );
  results.contended = results.otherLoadCoresMax >= 0.25 || machine.loadAverageAtStart[0] >= 0.5;
  results.targets = [
    {
      target: 'paid views by 1,000 readers >= 0.8 x pass-through',
      value: results.ratios.paid1000OverPassThrough,
      met: results.ratios.paid1000OverPassThrough >= 0.8,
    },
    {
      target: 'added p99 <= 2 ms (paid view, wallet in memory, vs pass-through)',
      value: results.addedP99Ms,
      met: results.addedP99Ms <= 2,
      note: `p99 on workerd is set by stalls common to every Worker, so this difference is noisy; p50 +${results.addedP50Ms} ms, p90 +${results.addedP90Ms} ms`,
    },
    {
      target: 'added p50 <= 2 ms with the wallet 5 ms away and a 20 ms origin',
      value: results.addedP50MsSlowOrigin,
      met: results.addedP50MsSlowOrigin <= 2,
      note: `asking the wallet before the origin, as before: +${results.addedP50MsSlowOriginWalletFirst} ms`,
    },
    {
      target: 'one wallet request per paid view',
      value: results.cost.doRequestsPerPaidView,
      met: results.cost.doRequestsPerPaidView <= 1,
      note: `of a page this isolate served before (its title rides on the charge); a page it has not: ${results.cost.doRequestsPerPaidViewFirstRead} (the title written after delivery)`,
    },
    { target: 'one hot reader >= 1,000 paid views/s', value: results.hotReaderPerSecond, met: results.hotReaderPerSecond >= 1000 },
    {
      target: 'a hot reader: <= 0.2 wallet requests per view',
      value: results.cost.doRequestsPerHotView,
      met: results.cost.doRequestsPerHotView <= 0.2,
    },
    {
      target: 'one hot reader >= 0.9 x the throughput of 1,000 readers',
      value: results.ratios.hotReaderOverPaid1000,
      met: results.ratios.hotReaderOverPaid1000 >= 0.9,
    },
    { target: '10,000 rules >= 0.9 x 10 rules', value: results.ratios.rules10kOverRules10, met: results.ratios.rules10kOverRules10 >= 0.9 },
    {
      target: '>= 1.5 x Node + PostgreSQL on paid views',
      value: results.ratios.paidOverPostgres,
      met: stack ? results.ratios.paidOverPostgres >= 1.5 : null,
    },
    { target: 'zero overspend, Worker', value: results.overspend.worker, met: results.overspend.worker === 0 },
    {
      target: 'zero overspend, Node + PostgreSQL',
      value: results.overspend.postgres,
      met: stack ? results.overspend.postgres === 0 : null,
    },
    { target: 'no KV operation on a warm view', value: results.cost.kvOpsPerWarmView, met: results.cost.kvOpsPerWarmView === 0 },
    {
      target: "<= 2 SQLite rows written on a paid view's own path",
      value: results.cost.sqliteRowsPerPaidView,
      met: results.cost.sqliteRowsPerPaidView <= 2,
      note: `with the usage roll-up amortised (one view per reader per flush period): ${results.cost.sqliteRowsPerPaidViewWithUsage}, counted in the cost`,
    },
    {
      target: 'infrastructure < 1% of a 1,000-micro view',
      value: results.cost.shareOf1000MicroView,
      met: results.cost.shareOf1000MicroView < 0.01,
    },
  ];

  writeFileSync(join(here, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeReport(join(here, 'RESULTS.md'), results);
  log(`wrote bench/RESULTS.md and bench/results.json in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  for (const t of results.targets) log(`${t.met === null ? 'SKIP' : t.met ? 'met ' : 'MISS'}  ${t.target}: ${t.value}`);
}

try {
  await main();
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  await cleanup();
}
