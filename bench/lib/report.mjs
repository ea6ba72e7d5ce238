// bench/RESULTS.md from a run's results.
import { writeFileSync } from 'node:fs';

const n = (x, digits = 0) =>
  x === null || x === undefined
    ? 'n/a'
    : Number(x).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (x) => (x === null || x === undefined ? 'n/a' : `${n(x, 2)} ms`);
const usd = (x) => `$${x < 0.01 ? x.toFixed(5) : x.toFixed(3)}`;

function table(head, rows) {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const LATENCY_LABELS = {
  paidWarmWallet: 'paid views, 20 readers in turn (wallets in memory)',
  floorRpc: 'floor: bare Worker + 2 empty Durable Object RPCs (20 objects in memory)',
  passThroughBeside: 'Worker, free path (pass-through)',
  paidColdWallet: 'paid views, wallet object cold (constructed for the view)',
  floorRpcCold: 'floor: bare Worker + 2 empty RPCs to a new object',
};

export function writeReport(file, r) {
  const m = r.machine;
  const s = r.scenarios;
  const lat = r.latency;
  const c = r.cost;
  const pgSkipped = r.setup.postgres?.skipped;
  const out = [];

  out.push(`# Bench results: the paywall against pass-through and the usual stack

Produced by \`${r.command}\` (${r.mode.name} mode: ${r.mode.rounds} round${r.mode.rounds > 1 ? 's' : ''} of ${r.mode.durationS} s per scenario after a ${r.mode.warmupS} s warm-up, the two rule-count scenarios in ${r.mode.rulePairs} alternating pairs of ${r.mode.rulePairS} s, ${r.mode.readers.toLocaleString('en-US')} readers), ${r.startedAt} to ${r.finishedAt}. Raw figures: [results.json](results.json).

${r.contended ? `**This run was contended**: other processes on the machine used up to ${r.otherLoadCoresMax} of its ${m.cores} cores during the measured runs (load average ${m.loadAverageAtStart.join(' / ')} at the start). Absolute figures are lower and noisier than on a quiet machine; the ratios compare runs made minutes apart under similar load, and each scenario's "other load" column says how busy the machine was during it.` : `The machine was quiet: other processes used at most ${r.otherLoadCoresMax} cores during the measured runs.`}

## Machine

${table(
  ['', ''],
  [
    ['CPU', `${m.cpuModel}, ${m.cores} cores`],
    ['Memory', `${m.memoryGiB} GiB`],
    ['Node', m.node],
    ['workerd', `${m.workerd} (npm workerd ${m.workerdPackage})`],
    ['miniflare / wrangler / autocannon', `${m.miniflare} / ${m.wrangler} / ${m.autocannon}`],
    ['PostgreSQL', pgSkipped ? `skipped: ${pgSkipped}` : r.setup.postgres.version],
  ],
)}

## Setup

- The Worker is built as \`wrangler deploy --dry-run --outdir\` bundles it and run in workerd through miniflare's API (\`new Miniflare({...})\`), **not** through \`wrangler dev\`'s proxy. Each Worker listens on its own loopback socket (miniflare's \`unsafeDirectSockets\`), so requests reach it directly, without miniflare's entry Worker in between, as they reach a deployed Worker. Its bindings and Durable Object classes come from \`wrangler.toml\`.
- The origin is a Node HTTP server in its own process answering every path with a 2 KB HTML page. The load is autocannon (${r.scenarios.passThrough.connections} keep-alive connections, closed loop) from the bench's process. Everything is on 127.0.0.1.
- Site documents are seeded straight into the Worker's KV (\`site:<host>\`); readers are created with \`POST /__paywall/api/readers\` and funded with \`POST /__paywall/api/dev/topup\` (\`DEV_TOPUP=true\`). Paid views carry \`Authorization: Bearer <token>\`, rotating over the readers request by request.
- Storage: ${r.setup.storage}. KV, the Durable Objects' SQLite files and PostgreSQL's data directory all live there. Local workerd calls \`fsync\` on its only thread at every Durable Object commit, which blocks every Worker and object in the process while the disk answers; on Cloudflare a write is made durable by replication before the response leaves the output gate, which adds latency but does not stop the isolate's thread. tmpfs removes the local fsync for both sides of the comparison (PostgreSQL keeps its default \`fsync=on\`, \`synchronous_commit=on\`, which tmpfs also makes cheap). ${r.paidWithDurableObjectFilesOnDisk ? 'See "What limits it" for the measured effect.' : 'The full run (`npm run bench`) also measures paid views with the files on disk.'}
- In workerd the Worker **and every Durable Object run on one thread**. A paid view's CPU therefore includes the wallet's work, which on Cloudflare runs on the reader's Durable Object's own thread elsewhere.
- Latencies are computed from every 2xx response's own timing (autocannon's histogram rounds to whole milliseconds).

## Targets

${table(
  ['target', 'measured', ''],
  r.targets.map((t) => [
    t.target,
    String(t.value),
    (t.met === null ? 'skipped' : t.met ? 'met' : '**missed**: see "What limits it"') + (t.note ? `; ${t.note}` : ''),
  ]),
)}

## Throughput and latency under load

Closed loop, ${r.scenarios.passThrough.connections} connections; the median round${r.mode.rounds > 1 ? ` of ${r.mode.rounds} (each round's views/s in brackets)` : ''}. "Server CPU" is the CPU time of the process(es) serving the scenario (workerd; for the usual stack the Node server and PostgreSQL) per 2xx view.

${table(
  ['scenario', 'views/s', 'p50', 'p99', 'server CPU / view', 'non-2xx', 'other load (cores)'],
  Object.values(s).map((x) => [
    x.label,
    `${n(x.okPerSecondMedian)}${x.okPerSecondRounds.length > 1 ? ` (${x.okPerSecondRounds.map((v) => n(v)).join(', ')})` : ''}`,
    ms(x.p50Ms),
    ms(x.p99Ms),
    x.serverCpuMsPerView === null ? 'n/a' : ms(x.serverCpuMsPerView),
    n(x.non2xx),
    n(x.otherProcessesCores, 2),
  ]),
)}
${pgSkipped ? `\n7. Node + PostgreSQL: **skipped**: ${pgSkipped}.\n` : ''}
Ratios from this run: paid (1,000 readers) / pass-through **${r.ratios.paid1000OverPassThrough}**; 10,000 rules / 10 rules **${r.ratios.rules10kOverRules10}**; paid / Node + PostgreSQL **${r.ratios.paidOverPostgres ?? 'n/a'}**; pass-through / origin ${r.ratios.passThroughOverOrigin}; platform floor (2 empty RPCs / bare pass-through) **${r.ratios.floorRpcOverFloorPass}**.

## Latency at a fixed rate

The scenarios below interleaved request by request, ${n(r.latency.passThrough.rate)} views a second each (${n(r.latency.passThrough.rate * Object.keys(r.latency).length)} in all, evenly spaced, each timed from when it was due), well under saturation, so that whatever stalls the machine lands on all of them alike: what the paywall adds to one view. Paid views rotate over 20 readers, whose wallet objects stay in memory as they do under load; the empty-RPC floor uses the same 20 names.

${table(
  ['scenario', 'views/s', 'p50', 'p90', 'p99', 'max'],
  Object.entries(lat).map(([k, x]) => [
    LATENCY_LABELS[k] ?? s[k]?.label ?? k,
    n(x.okPerSecond),
    ms(x.p50Ms),
    ms(x.p90Ms),
    ms(x.p99Ms),
    ms(x.maxMs),
  ]),
)}

Added by a paid view over a pass-through view: p50 **${ms(r.addedP50Ms)}**, p90 **${ms(r.addedP90Ms)}**, p99 **${ms(r.addedP99Ms)}**. The p99 of every workerd row, the bare floor Worker's included, is set by stalls of workerd's single thread that the origin and PostgreSQL rows do not show, so the p99 difference moves from run to run (it can come out negative); p50 and p90 are steady.

With the wallet a network hop away, as on Cloudflare (every wallet call waits ${r.slowOrigin.walletDelayMs} ms first, the origin answers in ${r.slowOrigin.originMs} ms; ${n(r.slowOrigin.rate / 2)} paid and ${n(r.slowOrigin.rate / 2)} pass-through views a second over ${r.slowOrigin.readers} readers, in a workerd of its own): a paid view adds p50 **${ms(r.addedP50MsSlowOrigin)}** over pass-through with the charge sent beside the origin fetch and nothing after the origin's answer (\`addedP50MsSlowOrigin\`), and ${ms(r.addedP50MsSlowOriginWalletFirst)} when the wallet is asked first (\`BENCH_SERIAL_WALLET\`). Wallet requests per paid view: **${r.cost.doRequestsPerPaidView}** (\`cost.doRequestsPerPaidView\`: the charge, for pages this isolate served before, whose \`<title>\` rides on the charge) and ${r.cost.doRequestsPerPaidViewFirstRead} for a page it has not (\`cost.doRequestsPerPaidViewFirstRead\`: the title is then written on the charge after delivery, off the path). A view whose origin fails adds one more, the void.

Cold wallets, measured apart (${n(r.coldLatency.paidColdWallet.requests)} paid views by readers whose wallet object had been evicted, each constructing it, interleaved with pass-through views and with empty RPCs to never-used objects, ${n(r.coldLatency.paidColdWallet.rate)} a second each):

${table(
  ['scenario', 'p50', 'p90', 'p99', 'max'],
  Object.entries(r.coldLatency).map(([k, x]) => [LATENCY_LABELS[k] ?? k, ms(x.p50Ms), ms(x.p90Ms), ms(x.p99Ms), ms(x.maxMs)]),
)}

A cold wallet adds p50 ${ms(r.addedColdWalletMs.p50)} and p90 ${ms(r.addedColdWalletMs.p90)} over pass-through; the empty object's row shows how much of that is workerd creating an object at all.

## Money: charged once per view, never beyond the balance

Charge check (the readers' balances through \`GET /__paywall/api/me\` before and after, against the 2xx views received; views still in flight when autocannon stops, at most ${r.chargeChecks[0]?.inFlightAtStopMax ?? 64}, may be charged without being counted as received):

${table(
  ['scenario', 'round', '2xx received', 'charged', 'expected for the 2xx'],
  r.chargeChecks.map((x) => [x.scenario, x.round, n(x.views2xxReceived), `${n(x.chargedMicros)} µ`, `${n(x.expectedMicros)} µ`]),
)}

Overspend: ${r.overspendDetail.worker.readers} readers each funded for exactly ${n(r.overspendDetail.worker.fundedViews / r.overspendDetail.worker.readers)} views, ${n(r.overspendDetail.worker.fired)} paid views fired with ${r.overspendDetail.worker.concurrency} in flight (several per reader at once).

${table(
  ['system', 'views served', 'views the money covers', 'views beyond the money', 'charged / money', 'lowest balance left'],
  Object.entries(r.overspendDetail).map(([k, x]) => [
    {
      worker: 'this Worker (wallet Durable Object)',
      postgres: 'Node + PostgreSQL (conditional UPDATE)',
      naiveKv: 'naive KV balance (read, subtract, write)',
    }[k],
    n(x.served),
    n(x.fundedViews),
    `**${n(x.viewsBeyondMoney)}**`,
    `${n(x.chargedMicros)} / ${n(x.moneyMicros)} µ`,
    `${n(x.lowestBalanceMicros)} µ`,
  ]),
)}

The naive KV Worker reads the balance, checks it, and writes it back; concurrent views of one reader all read the same balance, so each write overwrites the others (lost updates) and the KV balance says money is left while more views than were paid for went out. On Cloudflare it is worse than here: KV is eventually consistent across locations (up to 60 s) and allows one write per second per key. A Durable Object per reader serialises the reader's views, which is why the wallet is one.

## Cost per view

Counted by the code's own counters (the same ones \`test/system/cost.test.ts\` checks): KV and Durable Object calls at the Worker's bindings (\`bench/cost-entry.ts\` wraps \`src/index.ts\` with \`test/support/counting-env.ts\`); SQLite rows written, alarms set, flushes and KV documents written as the wallets and the usage aggregator count them (\`Wallet.stats()\`, \`UsageAggregator.stats()\`), over ${n(c.counted.paid.views)} views of each kind on a warm isolate.

On the view's own path:

${table(
  ['per view', 'free (warm)', 'paid (warm)', 'paid, opening a re-view window', 're-view inside the window'],
  [
    ['Worker requests', '1', '1', '1', '1'],
    [
      'Durable Object requests',
      n(c.counted.free.doRequests, 2),
      n(c.counted.paid.doRequests, 2),
      n(c.counted.windowOpen.doRequests, 2),
      n(c.counted.review.doRequests, 2),
    ],
    [
      'SQLite rows written',
      n(c.counted.free.rowsWritten, 2),
      n(c.counted.paid.rowsWritten, 2),
      n(c.counted.windowOpen.rowsWritten, 2),
      n(c.counted.review.rowsWritten, 2),
    ],
    [
      'KV reads + writes',
      n(c.counted.free.kvOps, 2),
      n(c.counted.paid.kvOps, 2),
      n(c.counted.windowOpen.kvOps, 2),
      n(c.counted.review.kvOps, 2),
    ],
  ],
)}

A site's document is read from KV once per isolate (${c.counted.coldSiteKvReads} read on the first view), then refreshed in the background once every 20 s per isolate and site: amortised, not per view. A paid view with an \`Idempotency-Key\` writes one more row (the key's index entry), as does one that opens a re-view window (above); one with both writes three.

The usage roll-up, batched and amortised: the first charge of a flush period sets the wallet's alarm (Cloudflare bills each \`setAlarm()\` as a row written); at the end of the period the alarm runs (a Durable Object request), sends the period's ledger rows to the site's aggregator in one call (a request) and moves its cursor (a row); the aggregator adds them up (the day's row, one row per distinct path, the reader's last sequence number) and, once per period for all readers, sets its alarm, runs it and writes the day's KV document. Per paid view, counted over ${n(c.counted.usageFlush.onePerPeriod.readers)} readers:

${table(
  ['per paid view', 'one view per reader per period', 'ten views per reader per period'],
  [
    [
      'wallet alarms set (rows)',
      n(c.counted.usageFlush.onePerPeriod.perView.walletAlarmsSet, 3),
      n(c.counted.usageFlush.tenPerPeriod.perView.walletAlarmsSet, 3),
    ],
    [
      'wallet flushes (requests)',
      n(c.counted.usageFlush.onePerPeriod.perView.walletFlushes, 3),
      n(c.counted.usageFlush.tenPerPeriod.perView.walletFlushes, 3),
    ],
    [
      'calls to the aggregator (requests)',
      n(c.counted.usageFlush.onePerPeriod.perView.deliveries, 3),
      n(c.counted.usageFlush.tenPerPeriod.perView.deliveries, 3),
    ],
    [
      'wallet cursor rows',
      n(c.counted.usageFlush.onePerPeriod.perView.walletRows, 3),
      n(c.counted.usageFlush.tenPerPeriod.perView.walletRows, 3),
    ],
    [
      'aggregator rows',
      n(c.counted.usageFlush.onePerPeriod.perView.usageRows, 3),
      n(c.counted.usageFlush.tenPerPeriod.perView.usageRows, 3),
    ],
    [
      'aggregator alarms set (rows) and run (requests)',
      `${n(c.counted.usageFlush.onePerPeriod.perView.usageAlarmsSet, 3)} and ${n(c.counted.usageFlush.onePerPeriod.perView.usageFlushes, 3)}`,
      `${n(c.counted.usageFlush.tenPerPeriod.perView.usageAlarmsSet, 3)} and ${n(c.counted.usageFlush.tenPerPeriod.perView.usageFlushes, 3)}`,
    ],
    [
      'KV writes',
      n(c.counted.usageFlush.onePerPeriod.perView.usageKvWrites, 3),
      n(c.counted.usageFlush.tenPerPeriod.perView.usageKvWrites, 3),
    ],
  ],
)}

Every path in these views was new, the dearest case for the aggregator (a repeated path updates its row). The cost below takes the left column: a reader who views once per period pays a whole flush with each view, which is how people read.

Dollars per million paid views at Cloudflare's published prices (Workers Paid plan, beyond the included amounts; looked up ${c.prices.lookedUp}):

${table(
  ['item', 'per paid view', 'price', 'USD per million paid views'],
  [
    [
      'Worker request',
      '1',
      `$${c.prices.workers.perMillionRequests} / million ([Workers pricing](${c.prices.workers.source}))`,
      usd(c.usdLines.workerRequests),
    ],
    [
      'Worker CPU',
      `${n(c.inputs.cpuMs, 3)} ms (measured: all of workerd's CPU per paid view, wallet included: an upper bound)`,
      `$${c.prices.workers.perMillionCpuMs} / million CPU ms`,
      usd(c.usdLines.workerCpu),
    ],
    [
      'Durable Object requests',
      `${n(c.inputs.doRequests, 2)} (the charge, and the roll-up's share)`,
      `$${c.prices.durableObjects.perMillionRequests} / million; each RPC call and each alarm invocation is one request ([Durable Objects pricing](${c.prices.durableObjects.source}))`,
      usd(c.usdLines.doRequests),
    ],
    [
      'Durable Object duration',
      `${n(c.inputs.doActiveMs, 2)} ms x 128 MB (p50 view latency used as a generous bound: the object works only during the charge)`,
      `$${c.prices.durableObjects.perMillionGbSeconds} / million GB-s`,
      usd(c.usdLines.doDuration),
    ],
    [
      'SQLite rows written',
      `${n(c.inputs.rowsWritten, 2)} (the ledger row, and the roll-up's share)`,
      `$${c.prices.durableObjects.perMillionRowsWritten} / million; each \`setAlarm()\` is billed as one row`,
      usd(c.usdLines.sqliteRowsWritten),
    ],
    [
      'SQLite rows read',
      `<= ${c.inputs.rowsRead} (bound, not counted)`,
      `$${c.prices.durableObjects.perMillionRowsRead} / million`,
      usd(c.usdLines.sqliteRowsRead),
    ],
    [
      'KV reads',
      n(c.inputs.kvReads, 2),
      `$${c.prices.kv.perMillionReads} / million ([KV pricing](${c.prices.kv.source}))`,
      usd(c.usdLines.kvReads),
    ],
    [
      'KV writes',
      `${n(c.inputs.kvWrites, 3)} (the roll-up's share)`,
      `$${c.prices.kv.perMillionWrites} / million`,
      usd(c.usdLines.kvWrites),
    ],
    ['**total**', '', '', `**${usd(c.usdPerMillionPaidViews)}**`],
  ],
)}

Of that total, the view's own path is ${usd(c.usdPerMillionPaidViewsOwnPath)} and the usage roll-up the rest; for readers who view ten times per period the total is ${usd(c.usdPerMillionPaidViewsTenPerPeriod)}. SQLite rows written dominate, so the roll-up's rows are where any further saving would come from.

A million 1,000-micro views bring $1,000; the infrastructure takes **${usd(c.usdPerMillionPaidViews)}** of it: **${n(c.shareOf1000MicroView * 100, 3)}%** (target: under 1%). The $5 monthly Workers Paid subscription and the included amounts (10 M requests, 1 M Durable Object requests, 50 M rows written a month) are left out, which overstates the cost at small volumes.

## What limits it

${limits(r)}

## Where a paid view's time goes

A V8 CPU profile of the Worker's isolate (the Worker and all its Durable Objects) while paid views by 1,000 readers run (${r.mode.profileS} s; the profile itself slows the run). Self time by function; native calls (RPC, SQLite, fetch) show under the JavaScript function that made them, or as \`(program)\`:

${table(
  ['function', 'self time', 'share'],
  r.profileTop.slice(0, 16).map((f) => [`\`${f.fn}\``, `${n(f.ms)} ms`, `${f.share}%`]),
)}
`);
  writeFileSync(file, out.join('\n'));
}

function limits(r) {
  const s = r.scenarios;
  const pass = s.passThrough;
  const paid = s.paid1000;
  const parts = [];
  parts.push(
    `**One thread does everything.** workerd runs the Worker and every Durable Object on a single thread, and it was busy: pass-through used ${ms(pass.serverCpuMsPerView)} of workerd CPU per view, a paid view ${ms(paid.serverCpuMsPerView)}. Throughput is that thread's capacity divided by the CPU per view, so the paid / pass-through throughput ratio (${r.ratios.paid1000OverPassThrough}) is close to the inverse of the CPU ratio (${n(pass.serverCpuMsPerView / paid.serverCpuMsPerView, 2)}).`,
  );
  parts.push(
    `**The floors: one RPC and two.** A bare Worker that does nothing but pass through gets ${n(s.floorPass.okPerSecondMedian)} views/s (${ms(s.floorPass.serverCpuMsPerView)} CPU / view); the same Worker making one empty RPC call to a SQLite-backed Durable Object beside the origin fetch (what a view charged at once pays) gets ${n(s.floorRpc1.okPerSecondMedian)} views/s (${ms(s.floorRpc1.serverCpuMsPerView)} CPU / view), a ratio of **${r.ratios.floorRpc1OverFloorPass}**; with two, one before the origin and one after (the hold-then-commit design this replaced), ${n(s.floorRpc.okPerSecondMedian)} views/s (${ms(s.floorRpc.serverCpuMsPerView)} CPU / view), **${r.ratios.floorRpcOverFloorPass}**. That is before the wallet does any work: on one workerd thread the 0.8 target is out of reach of any design with a Durable Object request per paid view. On Cloudflare the wallet runs on its own object's thread, and the Worker's own share of a paid view is the RPC client side, the token check and the header work; the profile below shows how it splits.`,
  );
  parts.push(
    `**One hot reader** (one wallet, as a crawler paying for every page): ${n(r.hotReaderPerSecond)} paid views/s (rounds: ${s.hotReader.okPerSecondRounds.map((x) => n(x)).join(', ')}) at ${ms(s.hotReader.serverCpuMsPerView)} CPU per view, ${r.ratios.hotReaderOverPaid1000} x the throughput of 1,000 readers (\`ratios.hotReaderOverPaid1000\`). Once hot in an isolate, its plain views are spent from a lease, a slice of its balance the wallet sets aside for the isolate and that the isolate reports in numbered batches: **${r.cost.doRequestsPerHotView}** wallet requests per view (\`cost.doRequestsPerHotView\`) and ${r.cost.sqliteRowsPerHotView} SQLite rows. So one reader is no longer held to what one object answers on Cloudflare (about 1,000 requests a second, [Durable Objects FAQ](https://developers.cloudflare.com/durable-objects/reference/faq/)): at this share, one wallet serves several thousand views a second across isolates. Locally, the thread that runs the Worker runs the wallet too, so what leases save shows as CPU per view rather than as a ceiling.`,
  );
  parts.push(
    `**Fixed during this work**: a paid view's body was piped through a JavaScript \`TransformStream\` (so that the charge is refunded if the body breaks off), one JavaScript step per chunk. \`src/paywall/deliver.ts\` now uses workerd's native \`IdentityTransformStream\`, so the pipe runs in the runtime. Measured during development by A/B runs of the two builds (4 rounds each, the lowest workerd CPU per view): paid views 1.30 ms before, 0.94 ms after, with pass-through at 0.48 and 0.42 ms in the same runs; the paid / pass-through CPU ratio went from 2.7 to 2.2. \`test/paywall/paid-body-refund.test.ts\` checks that a broken paid body is still refunded. Other candidates were measured and left alone: deleting only the request and response headers actually present (instead of a fixed list) made no difference beyond run-to-run noise.`,
  );
  if (s.floorRpc.okPerSecondRounds.length > 1)
    parts.push(
      `**Drift between rounds.** The same scenario moves from round to round on this machine, with none of the paywall's code involved: the bare Worker with two empty RPCs did ${s.floorRpc.okPerSecondRounds.map((x) => n(x)).join(', ')} views/s in the ${s.floorRpc.okPerSecondRounds.length} rounds, the bare pass-through ${s.floorPass.okPerSecondRounds.map((x) => n(x)).join(', ')}, the paid views ${paid.okPerSecondRounds.map((x) => n(x)).join(', ')}. Hence the medians, the floors measured in the same rounds, and the rule-count pair run back to back; a single ratio from one quick round can be off by a third.`,
    );
  const disk = r.paidWithDurableObjectFilesOnDisk;
  if (disk)
    parts.push(
      `**The local fsync**: the same paid views with the Durable Objects' SQLite files on disk instead of tmpfs (a separate workerd, ${disk.readers} readers): ${n(disk.okPerSecond)} views/s against ${n(paid.okPerSecondMedian)} on tmpfs, with ${ms(disk.serverCpuMsPerView)} of workerd CPU per view. During development \`perf\` put 15% of workerd's samples in \`fsync\`, called from SQLite's commit on workerd's event-loop thread: the thread waits for the disk, and every Worker and object in the process waits with it. That is local workerd, not Durable Objects on Cloudflare, hence tmpfs for the comparison.`,
    );
  if (r.ratios.rules10kOverRules10 !== null)
    parts.push(
      `**10,000 rules**: ${r.ratios.rules10kOverRules10} of the 10-rule site's throughput (the median of ${r.ratios.rules10kOverRules10Pairs.length} pairs run back to back, ${r.ratios.rules10kOverRules10Pairs.join(', ')}; a single pair is at the mercy of one stall of workerd's thread), with every view a new path, so no memoised match helps: rules are compiled once per document and indexed by their first literal segment, so a view is tested against its section's rules and the catch-all only. Compiling the 10,000 rules is paid once per isolate and document (the first view of that site took ${r.setup['firstViewMs:rules10k.bench']} ms, against ${r.setup['firstViewMs:rules10.bench']} ms for 10 rules). A site whose 10,000 rules all begin with a parameter or a wildcard would be matched rule by rule on a memo miss; the bench does not measure that case.`,
    );
  if (r.ratios.paidOverPostgres !== null)
    parts.push(
      `**Node + PostgreSQL**: ${n(s.postgres.okPerSecondMedian)} paid views/s at ${ms(s.postgres.serverCpuMsPerView)} of CPU per view (the Node server and PostgreSQL together, which also spread over both cores) against the Worker's ${n(paid.okPerSecondMedian)}/s on workerd's one thread; ratio ${r.ratios.paidOverPostgres}. The measured cause is workerd's cost per request on this machine: the bare floor Worker, which only passes a request through, takes ${ms(s.floorPass.serverCpuMsPerView)} of CPU per view, ${s.floorPass.serverCpuMsPerView > s.postgres.serverCpuMsPerView ? 'more than' : 'close to'} the Node + PostgreSQL stack's whole paid view. So locally, on one machine, the usual stack is faster, and the 1.5x target is missed by a wide margin; no change to the paywall's code can close a gap that the empty Worker already has. What the edge design buys is not speed on one box: the Worker runs in every Cloudflare location with no server to size, and each reader's wallet is its own object, so there is no shared database to scale; the bench cannot measure that on two cores. The PostgreSQL stack also does less per view than the wallet (one conditional UPDATE, no ledger row, no hold, no refund on a broken body), which favours it.`,
    );
  return parts.join('\n\n');
}
