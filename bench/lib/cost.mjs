// Billable operations per view, from the code's own counters: the Worker built with
// bench/cost-entry.ts counts KV and Durable Object calls at its bindings; the wallets and
// the usage aggregator count the SQLite rows they write, the alarms they set (each billed
// as a row written), their flushes and the KV documents they write.
import { mapLimit, request } from './http.mjs';
import { createReaders } from './readers.mjs';
import { MAIN_HOST, PAID_PRICE } from './sites.mjs';

async function counters(url) {
  return (await request(url, '/__bench/op-counts')).json;
}

async function walletStats(url, readers) {
  const ids = readers.map((r) => r.readerId).join(',');
  return (await request(url, `/__bench/wallet-stats?readers=${ids}`)).json;
}

async function usageStats(url) {
  return (await request(url, `/__bench/usage-stats?host=${MAIN_HOST}`)).json;
}

function perView(before, after, views) {
  const d = (k) => (after[k] - before[k]) / views;
  return {
    views,
    workerRequests: 1,
    doRequests: d('doRequests'),
    kvReads: d('kvReads'),
    kvWrites: d('kvWrites') + d('kvDeletes'),
    kvLists: d('kvLists'),
    kvOps: d('kvReads') + d('kvWrites') + d('kvDeletes') + d('kvLists'),
    doRequestsByBinding: Object.fromEntries(
      Object.entries(after.doRequestsByBinding).map(([name, count]) => [name, (count - (before.doRequestsByBinding[name] ?? 0)) / views]),
    ),
  };
}

const delta = (a, b, views) => Object.fromEntries(Object.keys(b).map((k) => [k, (b[k] - a[k]) / views]));

/** Runs `views` views of `pathFor(i)` by `readers` in turn and returns the per-view counts on the view's own path. */
async function measure(url, readers, views, pathFor, expect) {
  const c0 = await counters(url);
  const w0 = await walletStats(url, readers);
  const statuses = {};
  await mapLimit(
    Array.from({ length: views }, (_, i) => i),
    8,
    async (i) => {
      const reader = readers[i % readers.length];
      const res = await request(url, pathFor(i), { host: MAIN_HOST, headers: { authorization: reader.auth, accept: 'text/html' } });
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (expect && res.headers['paywall-charged-micros'] !== expect)
        throw new Error(`expected a charge of ${expect}, got ${res.headers['paywall-charged-micros']}`);
    },
  );
  // What the last views left running after their answers (a title written after delivery) belongs to them.
  await new Promise((r) => setTimeout(r, 300));
  const c1 = await counters(url);
  const w1 = await walletStats(url, readers);
  const wallet = delta(w0, w1, views);
  // Rows written by the views themselves; the usage cursor's rows belong to the flushes, counted below.
  return { ...perView(c0, c1, views), rowsWritten: wallet.viewRows, walletAlarmsSet: wallet.alarmsSet, statuses };
}

/**
 * The usage roll-up behind `readers.length * viewsPerReader` paid views: each reader's views
 * fall in one flush period, then the wallets flush to the aggregator and it writes KV. What a
 * flush costs is the same whatever the period; spread over the views of a period, it is
 * largest when a reader views once a period, as a person reading an article now and then.
 */
async function measureUsageFlush(url, readers, viewsPerReader, flushS, tag) {
  const w0 = await walletStats(url, readers);
  const u0 = await usageStats(url);
  const views = readers.length * viewsPerReader;
  await mapLimit(
    Array.from({ length: views }, (_, i) => i),
    8,
    async (i) => {
      const reader = readers[i % readers.length];
      const res = await request(url, `/paid/${tag}-${i}`, { host: MAIN_HOST, headers: { authorization: reader.auth } });
      if (res.headers['paywall-charged-micros'] !== String(PAID_PRICE))
        throw new Error(`usage flush views: charged ${res.headers['paywall-charged-micros']}`);
    },
  );
  // The wallets' alarms fire within a period of their first charge, the aggregator's within
  // the next. The stats are polled all the while: they are kept in memory, and the polling
  // keeps the objects from being evicted (which would start them again from zero).
  const poll = async () => {
    await new Promise((r) => setTimeout(r, 500));
    return [await walletStats(url, readers), await usageStats(url)];
  };
  const deadline = Date.now() + (4 * flushS + 10) * 1000;
  let [w1, u1] = await poll();
  while (w1.flushes - w0.flushes < readers.length && Date.now() < deadline) [w1, u1] = await poll();
  if (w1.flushes - w0.flushes < readers.length) throw new Error('the wallets did not flush their usage in time');
  const settled = Date.now() + (2 * flushS + 1) * 1000;
  while (Date.now() < settled) [w1, u1] = await poll();
  if (u1.kvWrites === u0.kvWrites) throw new Error('the usage aggregator did not write KV in time');
  const wallet = delta(w0, w1, views);
  const usage = delta(u0, u1, views);
  return {
    viewsPerReaderPerPeriod: viewsPerReader,
    readers: readers.length,
    views,
    perView: {
      // Wallet: the alarm set on the period's first charge, its invocation, the call to the aggregator, the cursor row.
      walletAlarmsSet: wallet.alarmsSet,
      walletFlushes: wallet.flushes,
      deliveries: wallet.deliveries,
      walletRows: wallet.cursorRows,
      // Aggregator: its rows, its alarm (set and invoked), its KV document.
      usageRows: usage.rowsWritten,
      usageAlarmsSet: usage.alarmsSet,
      usageFlushes: usage.flushes,
      usageKvWrites: usage.kvWrites,
    },
  };
}

export async function measureCosts(url, { views, flushS }) {
  const readers = await createReaders(url, MAIN_HOST, 20, 1_000_000_000);
  // The first view of the site in this isolate reads its document from KV.
  const c0 = await counters(url);
  await request(url, '/free/cold', { host: MAIN_HOST });
  const c1 = await counters(url);
  const coldSiteKvReads = c1.kvReads - c0.kvReads;
  const free = await measure(url, readers, views, (i) => `/free/page-${i}`, null);
  // Readers who view now and then (one view each per pass), so that none is hot and leased.
  const occasional = await createReaders(url, MAIN_HOST, views, 1_000_000_000);
  // Pages this isolate has not served before: the title read from each is written on its charge after delivery.
  const paidFirstRead = await measure(url, occasional, views, (i) => `/paid/story-${i}`, String(PAID_PRICE));
  // The same pages again, by the next reader: the isolate knows their titles, which ride on the charge.
  const paid = await measure(url, occasional, views, (i) => `/paid/story-${(i + views - 1) % views}`, String(PAID_PRICE));
  // One reader viewing page after page (a crawler): once hot in the isolate, its views are spent from leases.
  const [crawler] = await createReaders(url, MAIN_HOST, 1, 1_000_000_000);
  await measure(url, [crawler], 50, (i) => `/paid/crawl-warm-${i}`, String(PAID_PRICE));
  const hot = await measure(url, [crawler], views * 2, (i) => `/paid/crawl-${i}`, String(PAID_PRICE));
  // One charged view per reader opens its window; the views after it are re-views.
  const windowOpen = await measure(url, readers, readers.length, () => '/articles/window', null);
  const review = await measure(url, readers, views, () => '/articles/window', '0');
  // Let the flushes of the views above run, so that they do not count below.
  await new Promise((r) => setTimeout(r, (2 * flushS + 1) * 1000));
  const flushOnePerPeriod = await measureUsageFlush(url, readers, 1, flushS, 'once');
  const flushTenPerPeriod = await measureUsageFlush(url, readers, 10, flushS, 'ten');
  return {
    coldSiteKvReads,
    free,
    paid,
    paidFirstRead,
    hot,
    windowOpen,
    review,
    usageFlush: { onePerPeriod: flushOnePerPeriod, tenPerPeriod: flushTenPerPeriod },
  };
}
