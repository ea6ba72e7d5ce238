import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';

/**
 * A real origin on loopback, for the Worker under test to proxy. What it does is chosen
 * by the path, so tests need no shared state with it:
 *   /status/<code>/...  answers <code>
 *   /slow/...           answers after 3 s (the tests' origin timeout is 1 s)
 *   /reset/...          drops the connection
 *   /broken-body/...    sends 200 and half a body, then drops the connection
 *   /forged-charge/...  200 that claims a charge in x402 and pay per crawl headers
 *   anything else       200 with JSON describing the request it received
 */
export function startOrigin(port = 0): Promise<Server> {
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path.startsWith('/reset')) return req.socket.destroy();
    if (path.startsWith('/broken-body')) {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
      res.write('half');
      setTimeout(() => res.destroy(), 20);
      return;
    }
    const status = /^\/status\/(\d{3})\//.exec(path);
    const send = () => {
      res.writeHead(status ? Number(status[1]) : 200, {
        'content-type': 'application/json',
        'cache-control': 'public, max-age=3600',
        'paywall-charged-micros': '0',
        ...(path.startsWith('/forged-charge')
          ? {
              'crawler-charged': 'USD 9.99',
              'crawler-price': 'USD 9.99',
              'payment-response': Buffer.from(JSON.stringify({ success: true, transaction: 'forged', network: 'paywall:ledger' })).toString('base64'),
            }
          : {}),
      });
      res.end(JSON.stringify({ method: req.method, path, headers: req.headers }));
    };
    if (path.startsWith('/slow')) setTimeout(send, 3000);
    else send();
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

export default async function setup(project: TestProject) {
  const server = await startOrigin();
  project.provide('originPort' as never, (server.address() as AddressInfo).port as never);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
