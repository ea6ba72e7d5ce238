// Billable operations per view, from the counters: the Worker built with bench/cost-entry.ts
// counts KV and Durable Object calls at its bindings, the wallet counts its SQLite rows.
import { mapLimit, request } from './http.mjs';
import { createReaders } from './readers.mjs';
import { MAIN_HOST, PAID_PRICE } from './sites.mjs';

async function counters(url) {
  return (await request(url, '/__bench/op-counts')).json;
}

async function rowsWritten(url, readers) {
  const ids = readers.map((r) => r.readerId).join(',');
  return (await request(url, `/__bench/wallet-rows?readers=${ids}`)).json.rowsWritten;
}

function perView(before, after, rowsBefore, rowsAfter, views) {
  const d = (k) => (after[k] - before[k]) / views;
  return {
    views,
    workerRequests: 1,
    doRequests: d('doRequests'),
    kvReads: d('kvReads'),
    kvWrites: d('kvWrites') + d('kvDeletes'),
    kvLists: d('kvLists'),
    kvOps: d('kvReads') + d('kvWrites') + d('kvDeletes') + d('kvLists'),
    rowsWritten: (rowsAfter - rowsBefore) / views,
    doRequestsByBinding: Object.fromEntries(
      Object.entries(after.doRequestsByBinding).map(([name, count]) => [name, (count - (before.doRequestsByBinding[name] ?? 0)) / views]),
    ),
  };
}

/** Runs `views` views of `pathFor(i)` by `readers` in turn and returns the per-view counts. */
async function measure(url, readers, views, pathFor, expect) {
  const c0 = await counters(url);
  const r0 = await rowsWritten(url, readers);
  const statuses = {};
  await mapLimit(Array.from({ length: views }, (_, i) => i), 8, async (i) => {
    const reader = readers[i % readers.length];
    const res = await request(url, pathFor(i), { host: MAIN_HOST, headers: { authorization: reader.auth, accept: 'text/html' } });
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    if (expect && res.headers['paywall-charged-micros'] !== expect) throw new Error(`expected a charge of ${expect}, got ${res.headers['paywall-charged-micros']}`);
  });
  const c1 = await counters(url);
  const r1 = await rowsWritten(url, readers);
  return { ...perView(c0, c1, r0, r1, views), statuses };
}

export async function measureCosts(url, { views }) {
  const readers = await createReaders(url, MAIN_HOST, 20, 1_000_000_000);
  // The first view of the site in this isolate reads its document from KV.
  const c0 = await counters(url);
  await request(url, '/free/cold', { host: MAIN_HOST });
  const c1 = await counters(url);
  const coldSiteKvReads = c1.kvReads - c0.kvReads;
  const free = await measure(url, readers, views, (i) => `/free/page-${i}`, null);
  const paid = await measure(url, readers, views, (i) => `/paid/story-${i}`, String(PAID_PRICE));
  // One charged view per reader opens its window; the views after it are re-views.
  const windowOpen = await measure(url, readers, readers.length, () => '/articles/window', null);
  const review = await measure(url, readers, views, () => '/articles/window', '0');
  return { coldSiteKvReads, free, paid, windowOpen, review };
}
