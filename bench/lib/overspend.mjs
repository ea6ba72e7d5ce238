// More paid views than the money covers, fired concurrently at a few readers: how many
// views does each system let through beyond what was paid for?
import { mapLimit, request } from './http.mjs';

/**
 * `readers` each hold exactly `fundedViews` x price. `views` requests are fired with
 * `concurrency` in flight, round-robin over the readers, so each reader has several
 * views in flight at once. Returns what was served per reader and in total.
 * @param {{
 *   url: string, host?: string, path: string, readers: { key: string, auth: string }[],
 *   fundedViews: number, views: number, concurrency: number,
 * }} options
 */
export async function fireBeyondMoney({ url, host, path, readers, fundedViews, views, concurrency }) {
  const served = new Map(readers.map((r) => [r.key, 0]));
  /** @type {Record<number, number>} */
  const statuses = {};
  await mapLimit(
    Array.from({ length: views }, (_, i) => i),
    concurrency,
    async (i) => {
      const reader = readers[i % readers.length];
      const res = await request(url, `${path}-${i}`, { host, headers: { authorization: reader.auth, accept: 'application/json' } });
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.status === 200) served.set(reader.key, (served.get(reader.key) ?? 0) + 1);
    },
  );
  const beyond = [...served.values()].reduce((sum, n) => sum + Math.max(0, n - fundedViews), 0);
  return {
    readers: readers.length,
    fundedViews: readers.length * fundedViews,
    fired: views,
    concurrency,
    served: [...served.values()].reduce((a, b) => a + b, 0),
    viewsBeyondMoney: beyond,
    statuses,
    servedPerReader: Object.fromEntries(served),
  };
}
