// Latency at a fixed rate with evenly spaced requests. (autocannon's rate limit sends each
// second's quota as a burst at the start of the second, which measures its own queue.)
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

/**
 * What a paced run requests: `pathFor(i)` and `authFor(i)`, when given, name the i-th
 * request's path and Authorization header; without `pathFor`, every request is to `path`.
 * @typedef {{
 *   url: string,
 *   host?: string,
 *   path?: string,
 *   pathFor?: (i: number) => string,
 *   authFor?: (i: number) => string | undefined,
 * }} PacedTarget
 */

/**
 * @typedef {{
 *   rate: number, requests: number, ok: number, non2xx: number, statuses: Record<number, number>,
 *   okPerSecond: number, p50Ms: number | null, p90Ms: number | null, p99Ms: number | null, maxMs: number | null,
 * }} PacedResult
 */

/**
 * One GET; resolves with its status, 0 when it failed.
 * @param {string} base
 * @param {string} path
 * @param {Record<string, string>} headers
 * @returns {Promise<number>}
 */
function once(base, path, headers) {
  return new Promise((resolve) => {
    const req = http.request(new URL(path, base), { headers, agent }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(/** @type {number} */ (res.statusCode)));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

/**
 * Several scenarios interleaved request by request at one fixed total rate, so that
 * whatever stalls the machine (other processes, a collection in workerd) lands on all of
 * them alike and their difference is the scenarios' own. Returns one result per scenario.
 * @param {{ variants: Record<string, PacedTarget>, rate: number, durationS: number }} options
 * @returns {Promise<Record<string, PacedResult>>}
 */
export async function pacedLatencyMix({ variants, rate, durationS }) {
  const names = Object.keys(variants);
  /** @type {Record<string, PacedResult>} */
  const results = {};
  /** @type {{ name: string, latencies: number[], statuses: Record<number, number> }[]} */
  const per = names.map((name) => ({ name, latencies: [], statuses: {} }));
  const total = Math.round(rate * durationS);
  const start = performance.now() + 20;
  /** @type {Promise<void>[]} */
  const pending = [];
  const counters = names.map(() => 0);
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const k = i % names.length;
    const v = variants[names[k]];
    const j = counters[k]++;
    /** @type {Record<string, string>} */
    const headers = { accept: 'text/html' };
    if (v.host) headers.host = v.host;
    const auth = v.authFor?.(j);
    if (auth) headers.authorization = auth;
    const slot = per[k];
    pending.push(
      once(v.url, /** @type {string} */ (v.pathFor ? v.pathFor(j) : v.path), headers).then((status) => {
        slot.statuses[status] = (slot.statuses[status] ?? 0) + 1;
        if (status >= 200 && status < 300) slot.latencies.push(performance.now() - due);
      }),
    );
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  for (const slot of per) results[slot.name] = summarize(slot.latencies, slot.statuses, rate / names.length, elapsed);
  return results;
}

/**
 * @param {number[]} latencies
 * @param {Record<number, number>} statuses
 * @param {number} rate
 * @param {number} elapsed
 * @returns {PacedResult}
 */
function summarize(latencies, statuses, rate, elapsed) {
  latencies.sort((a, b) => a - b);
  const ok = latencies.length;
  const total = Object.values(statuses).reduce((a, b) => a + b, 0);
  /** @param {number} p */
  const pct = (p) => (ok ? Math.round(latencies[Math.min(ok - 1, Math.ceil((p / 100) * ok) - 1)] * 100) / 100 : null);
  return {
    rate,
    requests: total,
    ok,
    non2xx: total - ok,
    statuses,
    okPerSecond: Math.round(ok / elapsed),
    p50Ms: pct(50),
    p90Ms: pct(90),
    p99Ms: pct(99),
    maxMs: ok ? Math.round(latencies[ok - 1] * 100) / 100 : null,
  };
}

/**
 * Sends request i at start + i / rate, whatever happened to the ones before, and times
 * each from the moment it was due (so a slow answer cannot hide the ones queued behind it).
 * @param {PacedTarget & { rate: number, durationS: number }} options
 * @returns {Promise<PacedResult>}
 */
export async function pacedLatency({ url, host, path, pathFor, authFor, rate, durationS }) {
  const total = Math.round(rate * durationS);
  /** @type {number[]} */
  const latencies = [];
  /** @type {Record<number, number>} */
  const statuses = {};
  const start = performance.now() + 20;
  /** @type {Promise<void>[]} */
  const pending = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    /** @type {Record<string, string>} */
    const headers = { accept: 'text/html' };
    if (host) headers.host = host;
    const auth = authFor?.(i);
    if (auth) headers.authorization = auth;
    pending.push(
      once(url, /** @type {string} */ (pathFor ? pathFor(i) : path), headers).then((status) => {
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status >= 200 && status < 300) latencies.push(performance.now() - due);
      }),
    );
  }
  await Promise.all(pending);
  return summarize(latencies, statuses, rate, (performance.now() - start) / 1000);
}
