import { request } from 'node:http';
import { DEMO_VARS } from './site.mjs';

/**
 * A call to the demo's admin API. It answers only on ADMIN_HOST (admin.localhost), which
 * Node's resolver does not know and Node's fetch() will not name in a Host header, so the
 * call goes to 127.0.0.1 with the Host header set by hand. Answers `{ status, body }`.
 */
export function adminRequest(port, method, path, body) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: {
          host: `${DEMO_VARS.ADMIN_HOST}:${port}`,
          authorization: `Bearer ${DEMO_VARS.ADMIN_TOKEN}`,
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
