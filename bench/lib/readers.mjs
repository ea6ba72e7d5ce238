// Readers made through the Worker's own API: POST /__paywall/api/readers, then a top-up
// through POST /__paywall/api/dev/topup (DEV_TOPUP=true).
import { mapLimit, request } from './http.mjs';

/** @typedef {{ readerId: string, auth: string, fundedMicros: number }} Reader */

/**
 * @param {string} workerUrl
 * @param {string} host
 * @param {number} count
 * @param {number} topUpMicros
 * @returns {Promise<Reader[]>}
 */
export async function createReaders(workerUrl, host, count, topUpMicros, concurrency = 16) {
  return mapLimit(Array.from({ length: count }), concurrency, async () => {
    const created = await request(workerUrl, '/__paywall/api/readers', { method: 'POST', host });
    if (created.status !== 201) throw new Error(`POST /__paywall/api/readers answered ${created.status}: ${created.text}`);
    /** @type {Reader} */
    const reader = { readerId: created.json.readerId, auth: `Bearer ${created.json.token}`, fundedMicros: 0 };
    if (topUpMicros > 0) await topUp(workerUrl, host, reader, topUpMicros);
    return reader;
  });
}

/**
 * @param {string} workerUrl
 * @param {string} host
 * @param {Reader} reader
 * @param {number} amountMicros
 * @returns {Promise<number>} the balance after
 */
export async function topUp(workerUrl, host, reader, amountMicros) {
  const res = await request(workerUrl, '/__paywall/api/dev/topup', {
    method: 'POST',
    host,
    headers: { authorization: reader.auth },
    body: { amountMicros },
  });
  if (res.status !== 200) throw new Error(`dev top-up answered ${res.status}: ${res.text}`);
  reader.fundedMicros += amountMicros;
  return res.json.balanceMicros;
}

/**
 * @param {string} workerUrl
 * @param {string} host
 * @param {Reader} reader
 * @returns {Promise<number>}
 */
export async function balanceOf(workerUrl, host, reader) {
  const res = await request(workerUrl, '/__paywall/api/me', { host, headers: { authorization: reader.auth } });
  if (res.status !== 200) throw new Error(`GET /__paywall/api/me answered ${res.status}`);
  return res.json.balanceMicros;
}

/**
 * The sum of the readers' balances, as the wallets report them.
 * @param {string} workerUrl
 * @param {string} host
 * @param {Reader[]} readers
 */
export async function totalBalance(workerUrl, host, readers) {
  const balances = await mapLimit(readers, 16, (r) => balanceOf(workerUrl, host, r));
  return balances.reduce((a, b) => a + b, 0);
}
