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
 *   /drip/...           sends 200 at once, then its body in 10 pieces over 2 s
 *   /late/...           answers after 400 ms (inside the timeout)
 *   /validators/...     answers with every header a shared cache keys on, and tries to
 *                       set the paywall's own cookie
 *   /broken-html/...    200 text/html with its <title>, then half a body and a dropped connection
 *   /html/...?title=<t> 200 text/html whose head's <title> is <t> as given (raw HTML), none
 *                       without the parameter; the body holds an <svg> title of its own.
 *                       &csp=<p> adds the header Content-Security-Policy: <p>, &csp-report-only=<p>
 *                       its report-only twin, &meta-csp=<p> a <meta http-equiv> in the head
 *   /directory/<b64url> a Web Bot Auth key directory: the JSON the path encodes, as
 *                       application/http-message-signatures-directory+json
 *   /counted/<id>/directory/<b64url>  the same, counting its fetches per id
 *   /count/<id>         how often /counted/<id>/… (or /tally/<id>/…) was fetched, as JSON
 *   /tally/<id>/...     as "anything else", counting its fetches per id
 *   /serves-token/<token>/.well-known/paywall-verification
 *                       the token, as an origin proving a host claim does
 *   anything else       200 with JSON describing the request it received
 */
const counts = new Map<string, number>();

export function startOrigin(port = 0): Promise<Server> {
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path.startsWith('/reset')) return req.socket.destroy();
    const count = /^\/count\/([\w-]+)$/.exec(path);
    if (count) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ count: counts.get(count[1]!) ?? 0 }));
    }
    const counted = /^\/counted\/([\w-]+)\/directory\/([A-Za-z0-9_-]+)$/.exec(path);
    if (counted) {
      counts.set(counted[1]!, (counts.get(counted[1]!) ?? 0) + 1);
      res.writeHead(200, { 'content-type': 'application/http-message-signatures-directory+json' });
      return res.end(Buffer.from(counted[2]!, 'base64url').toString('utf8'));
    }
    const tally = /^\/tally\/([\w-]+)\//.exec(path);
    if (tally) counts.set(tally[1]!, (counts.get(tally[1]!) ?? 0) + 1);
    const directory = /^\/directory\/([A-Za-z0-9_-]+)$/.exec(path);
    if (directory) {
      res.writeHead(200, { 'content-type': 'application/http-message-signatures-directory+json' });
      return res.end(Buffer.from(directory[1]!, 'base64url').toString('utf8'));
    }
    if (path.startsWith('/html/')) {
      const params = new URL(path, 'http://origin.invalid').searchParams;
      const title = params.get('title');
      const csp = params.get('csp');
      const reportOnly = params.get('csp-report-only');
      const metaCsp = params.get('meta-csp');
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        ...(csp === null ? {} : { 'content-security-policy': csp }),
        ...(reportOnly === null ? {} : { 'content-security-policy-report-only': reportOnly }),
      });
      const meta = metaCsp === null ? '' : `<meta http-equiv="Content-Security-Policy" content="${metaCsp.replace(/"/g, '&quot;')}">`;
      return res.end(
        `<!doctype html><html><head><meta charset="utf-8">${meta}${title === null ? '' : `<title>${title}</title>`}</head>` +
          `<body class="story"><svg><title>Icon</title></svg><h1>Story</h1><p>${'Words. '.repeat(200)}</p></body></html>`,
      );
    }
    if (path.startsWith('/broken-html')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': '5000' });
      res.write('<!doctype html><html><head><title>Cut short</title></head><body><p>half');
      setTimeout(() => res.destroy(), 20);
      return;
    }
    const token = /^\/serves-token\/([A-Za-z0-9_-]+)\/\.well-known\/paywall-verification$/.exec(path);
    if (token) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end(`${token[1]}\n`);
    }
    if (path.startsWith('/broken-body')) {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
      res.write('half');
      setTimeout(() => res.destroy(), 20);
      return;
    }
    if (path.startsWith('/drip')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      let sent = 0;
      const timer = setInterval(() => {
        res.write(`piece ${sent}\n`);
        if (++sent === 10) {
          clearInterval(timer);
          res.end();
        }
      }, 200);
      res.on('close', () => clearInterval(timer));
      return;
    }
    const status = /^\/status\/(\d{3})\//.exec(path);
    const cacheable = path.startsWith('/validators')
      ? {
          etag: '"v1"',
          'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT',
          expires: 'Thu, 01 Jan 2099 00:00:00 GMT',
          age: '10',
          'surrogate-control': 'max-age=3600',
          'cdn-cache-control': 'max-age=3600',
          'cloudflare-cdn-cache-control': 'max-age=3600',
          vary: 'Accept-Encoding',
          'set-cookie': ['paywall_token=planted-by-origin; Path=/', 'origin_session=kept; Path=/'],
        }
      : {};
    const send = () => {
      res.writeHead(status ? Number(status[1]) : 200, {
        'content-type': 'application/json',
        'cache-control': 'public, max-age=3600',
        'paywall-charged-micros': '0',
        ...(path.startsWith('/forged-charge')
          ? {
              'crawler-charged': 'USD 9.99',
              'crawler-price': 'USD 9.99',
              'payment-response': Buffer.from(JSON.stringify({ success: true, transaction: 'forged', network: 'paywall:ledger' })).toString(
                'base64',
              ),
            }
          : {}),
        ...cacheable,
      });
      res.end(JSON.stringify({ method: req.method, path, headers: req.headers }));
    };
    if (path.startsWith('/slow')) setTimeout(send, 3000);
    else if (path.startsWith('/late')) setTimeout(send, 400);
    else send();
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

export default async function setup(project: TestProject) {
  const server = await startOrigin();
  project.provide('originPort' as never, (server.address() as AddressInfo).port as never);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
