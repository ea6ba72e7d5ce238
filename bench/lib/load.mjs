// Load with autocannon; latency percentiles come from every response's own timing
// (autocannon's histogram rounds to whole milliseconds, too coarse for a 2 ms budget).
import autocannon from 'autocannon';

/**
 * @typedef {{
 *   url: string,
 *   host?: string,
 *   path?: string,
 *   pathFor?: (i: number) => string,
 *   connections: number,
 *   durationS?: number,
 *   overallRate?: number,
 *   authFor?: (i: number) => string | undefined,
 *   amount?: number,
 * }} LoadOptions
 */

/**
 * @typedef {{
 *   connections: number, durationS: number, requests: number, ok: number, non2xx: number,
 *   statuses: Record<string, number>, errors: number, okPerSecond: number,
 *   p50Ms: number | null, p90Ms: number | null, p99Ms: number | null, maxMs: number | null,
 * }} LoadResult
 */

/**
 * One closed-loop run: `connections` keep-alive connections, each sending its next
 * request as soon as the previous answer arrived, for `durationS` seconds (or with
 * `overallRate` requests a second in total). `authFor(i)` gives the i-th request's
 * Authorization header, so that a run can rotate through many readers.
 * @param {LoadOptions} options
 * @returns {Promise<LoadResult>}
 */
export async function runLoad({ url, host, path, pathFor, connections, durationS, overallRate, authFor, amount }) {
  let i = 0;
  /** @type {Record<string, string>} */
  const baseHeaders = { accept: 'text/html' };
  if (host) baseHeaders.host = host;
  const setupRequest = (req) => {
    const n = i++;
    const headers = { ...baseHeaders };
    const auth = authFor?.(n);
    if (auth) headers.authorization = auth;
    req.headers = headers;
    if (pathFor) req.path = pathFor(n);
    return req;
  };
  /** @type {number[]} */
  const latencies = [];
  /** @type {Map<number, number>} */
  const statuses = new Map();
  const options = {
    url,
    connections,
    pipelining: 1,
    timeout: 10,
    requests: [{ method: 'GET', path, setupRequest }],
  };
  if (amount) options.amount = amount;
  else options.duration = durationS;
  if (overallRate) options.overallRate = overallRate;
  const started = process.hrtime.bigint();
  const instance = autocannon(options);
  instance.on('response', (_client, status, _bytes, ms) => {
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if (status >= 200 && status < 300) latencies.push(ms);
  });
  const result = await new Promise((resolve, reject) => {
    instance.on('done', resolve);
    instance.on('error', reject);
  });
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  const ok = latencies.length;
  latencies.sort((a, b) => a - b);
  /** @param {number} p */
  const pct = (p) => (ok ? round(latencies[Math.min(ok - 1, Math.ceil((p / 100) * ok) - 1)]) : null);
  const total = [...statuses.values()].reduce((a, b) => a + b, 0);
  return {
    connections,
    durationS: round(result.duration ?? elapsedS),
    requests: total,
    ok,
    non2xx: total - ok,
    statuses: Object.fromEntries(statuses),
    errors: result.errors + result.timeouts,
    okPerSecond: Math.round(ok / (result.duration || elapsedS)),
    p50Ms: pct(50),
    p90Ms: pct(90),
    p99Ms: pct(99),
    maxMs: ok ? round(latencies[ok - 1]) : null,
  };
}

/** @param {number} x */
function round(x) {
  return Math.round(x * 100) / 100;
}
