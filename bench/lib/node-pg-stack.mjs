// The usual stack a team would build instead: a Node HTTP server in front of the origin
// that debits a balance row in PostgreSQL per paid view. Run as its own process.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** @typedef {import('node:net').AddressInfo} AddressInfo */

/**
 * Same token format as the Worker's (`<readerId>.<exp>.<hmac>`), so both do the same work.
 * @param {string} secret
 * @param {string} readerId
 */
export function signToken(secret, readerId, exp = Math.floor(Date.now() / 1000) + 86_400) {
  const payload = `${readerId}.${exp}`;
  return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
}

/**
 * @param {string} secret
 * @param {string} token
 */
function verifyToken(secret, token) {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [readerId, exp, sig] = parts;
  if (Number(exp) * 1000 <= Date.now()) return null;
  const expected = createHmac('sha256', secret).update(`${readerId}.${exp}`).digest();
  const given = Buffer.from(sig, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected) ? readerId : null;
}

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS balances (reader text PRIMARY KEY, balance bigint NOT NULL CHECK (balance >= 0));
`;

/**
 * @typedef {{ databaseUrl: string, originUrl: string, secret: string, priceMicros: number, poolSize: number }} StackOptions
 */

/** @param {StackOptions} options */
function serve({ databaseUrl, originUrl, secret, priceMicros, poolSize }) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  const origin = new URL(originUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const debit = 'UPDATE balances SET balance = balance - $1 WHERE reader = $2 AND balance >= $1 RETURNING balance';
  const credit = 'UPDATE balances SET balance = balance + $1 WHERE reader = $2';

  const server = http.createServer(async (req, res) => {
    try {
      const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      const reader = m ? verifyToken(secret, m[1]) : null;
      if (!reader) return void res.writeHead(402, { 'content-type': 'application/json' }).end('{"error":"payment_required"}');
      const debited = await pool.query(debit, [priceMicros, reader]);
      if (debited.rowCount === 0)
        return void res.writeHead(402, { 'content-type': 'application/json' }).end('{"error":"insufficient_balance"}');
      const upstream = http.request({ host: origin.hostname, port: origin.port, path: req.url, method: 'GET', agent }, async (up) => {
        // A client's response always has its status code.
        const status = /** @type {number} */ (up.statusCode);
        if (status < 200 || status > 299) {
          up.resume();
          await pool.query(credit, [priceMicros, reader]);
          return void res.writeHead(status).end();
        }
        res.writeHead(status, {
          'content-type': up.headers['content-type'] ?? 'text/html',
          'cache-control': 'private, no-store',
          'paywall-charged-micros': String(priceMicros),
          'paywall-balance-micros': String(debited.rows[0].balance),
        });
        up.pipe(res);
      });
      upstream.on('error', async () => {
        await pool.query(credit, [priceMicros, reader]).catch(() => {});
        if (!res.headersSent) res.writeHead(502).end();
      });
      upstream.end();
    } catch (e) {
      if (!res.headersSent) res.writeHead(500).end(String(e));
    }
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send?.({ port: /** @type {AddressInfo} */ (server.address()).port }));
}

/**
 * Starts the stack in its own process; resolves with its URL and a stop function.
 * @param {StackOptions} options
 * @returns {Promise<{ url: string, pid: number, stop: () => Promise<void> }>}
 */
export function startNodePgStack(options) {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (message) =>
      resolve({
        url: `http://127.0.0.1:${/** @type {{ port: number }} */ (message).port}`,
        pid: /** @type {number} */ (child.pid), // spawned: it answered
        stop: () =>
          /** @type {Promise<void>} */ (
            new Promise((done) => (child.exitCode !== null ? done() : (child.once('exit', done), child.kill())))
          ),
      }),
    );
  });
}

const at = process.argv.indexOf('--serve');
if (at !== -1) serve(JSON.parse(process.argv[at + 1]));
