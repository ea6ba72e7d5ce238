// Cloudflare's published prices (Workers Paid plan, beyond the included amounts), in USD.
// Looked up on 2026-11-25 through the docs search of the project's tooling (a stored copy
// of each page; the stored copies may be some months old).
export const PRICES = {
  lookedUp: '2026-11-25',
  workers: {
    source: 'https://developers.cloudflare.com/workers/platform/pricing/',
    perMillionRequests: 0.3,
    perMillionCpuMs: 0.02,
  },
  durableObjects: {
    source: 'https://developers.cloudflare.com/durable-objects/platform/pricing/',
    perMillionRequests: 0.15,
    note: 'every RPC method call on a stub is its own RPC session, billed as one request',
    perMillionGbSeconds: 12.5,
    gbPerObject: 0.128,
    perMillionRowsWritten: 1.0,
    perMillionRowsRead: 0.001,
  },
  kv: {
    source: 'https://developers.cloudflare.com/kv/platform/pricing/',
    perMillionReads: 0.5,
    perMillionWrites: 5.0,
  },
};

/**
 * Dollars per million views from per-view counts. `doActiveMs` is how long a view keeps
 * the reader's Durable Object from hibernating (billed as 128 MB of wall-clock time).
 */
export function usdPerMillionViews({ workerRequests, cpuMs, doRequests, doActiveMs, rowsWritten, rowsRead, kvReads, kvWrites }) {
  const p = PRICES;
  const lines = {
    workerRequests: workerRequests * p.workers.perMillionRequests,
    workerCpu: cpuMs * p.workers.perMillionCpuMs,
    doRequests: doRequests * p.durableObjects.perMillionRequests,
    doDuration: (doActiveMs / 1000) * p.durableObjects.gbPerObject * p.durableObjects.perMillionGbSeconds,
    sqliteRowsWritten: rowsWritten * p.durableObjects.perMillionRowsWritten,
    sqliteRowsRead: rowsRead * p.durableObjects.perMillionRowsRead,
    kvReads: kvReads * p.kv.perMillionReads,
    kvWrites: kvWrites * p.kv.perMillionWrites,
  };
  const total = Object.values(lines).reduce((a, b) => a + b, 0);
  return { total, lines };
}
