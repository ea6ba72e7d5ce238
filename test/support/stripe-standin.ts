import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';

/** The API key the stand-in accepts; any other is refused as Stripe refuses a revoked key. */
export const STANDIN_SECRET_KEY = 'sk_test_standin_0123456789';

type Received = { params: Record<string, string>; headers: IncomingHttpHeaders };

/**
 * A local stand-in for the part of Stripe's API the Worker calls, so no test reaches
 * Stripe. `POST /v1/checkout/sessions` answers like Stripe (form-encoded in, a session
 * out); `GET /__standin/sessions/<id>` shows tests exactly what the SDK sent.
 */
export function startStripeStandin(port = 0): Promise<Server> {
  const received = new Map<string, Received>();
  let counter = 0;
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_standin_${++counter}` });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://standin');
    const seen = /^\/__standin\/sessions\/([\w-]+)$/.exec(url.pathname);
    if (req.method === 'GET' && seen) {
      const r = received.get(seen[1]!);
      return r ? send(200, r) : send(404, { error: 'unknown session' });
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/checkout/sessions') {
      return send(404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${url.pathname})` } });
    }
    if (req.headers.authorization !== `Bearer ${STANDIN_SECRET_KEY}`) {
      return send(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_****' } });
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(body));
      const id = `cs_test_standin_${++counter}_${Math.random().toString(36).slice(2, 10)}`;
      received.set(id, { params, headers: req.headers });
      const unit = Number(params['line_items[0][unit_amount]'] ?? params['line_items[0][price_data][unit_amount]']);
      const metadata = Object.fromEntries(
        Object.entries(params).flatMap(([k, v]) => {
          const m = /^metadata\[(.+)\]$/.exec(k);
          return m ? [[m[1], v]] : [];
        }),
      );
      send(200, {
        id,
        object: 'checkout.session',
        mode: params.mode,
        status: 'open',
        payment_status: 'unpaid',
        currency: params['line_items[0][price_data][currency]'] ?? null,
        amount_total: Number.isFinite(unit) ? unit * Number(params['line_items[0][quantity]'] ?? 1) : null,
        client_reference_id: params.client_reference_id ?? null,
        metadata,
        success_url: params.success_url ?? null,
        cancel_url: params.cancel_url ?? null,
        url: `https://checkout.stripe.com/c/pay/${id}`,
      });
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

export default async function setup(project: TestProject) {
  const server = await startStripeStandin();
  project.provide('stripePort' as never, (server.address() as AddressInfo).port as never);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
