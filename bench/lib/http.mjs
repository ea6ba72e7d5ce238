// Small HTTP client for setup and checks (the load itself is autocannon's).
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * @typedef {{ status: number, headers: http.IncomingHttpHeaders, json: any, text: string, bytes: number }} Answer
 * The answer to `request`: `json` is the body parsed, or null when it is not JSON.
 */

/**
 * One request; resolves with status, headers and the parsed JSON body (or text).
 * @param {string} baseUrl
 * @param {string} path
 * @param {{ method?: string, headers?: Record<string, string>, body?: unknown, host?: string }} [options]
 * @returns {Promise<Answer>}
 */
export function request(baseUrl, path, { method = 'GET', headers = {}, body, host } = {}) {
  const url = new URL(path, baseUrl);
  const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  /** @type {Record<string, string | number>} */
  const allHeaders = { accept: 'application/json', ...headers };
  if (payload) {
    allHeaders['content-type'] ??= 'application/json';
    allHeaders['content-length'] = payload.length;
  }
  if (host) allHeaders.host = host;
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: allHeaders, agent }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try {
          json = JSON.parse(text);
        } catch {}
        // A client's response always has its status code.
        resolve({ status: /** @type {number} */ (res.statusCode), headers: res.headers, json, text, bytes: Buffer.concat(chunks).length });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Runs `fn` over `items` with at most `concurrency` in flight; keeps the order of results.
 * @template T, R
 * @param {T[]} items
 * @param {number} concurrency
 * @param {(item: T, index: number) => Promise<R>} fn
 * @returns {Promise<R[]>}
 */
export async function mapLimit(items, concurrency, fn) {
  const out = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return out;
}
