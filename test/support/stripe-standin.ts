import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';

/** The API key the stand-in accepts; any other is refused as Stripe refuses a revoked key. */
export const STANDIN_SECRET_KEY = 'sk_test_standin_0123456789';

type Received = { params: Record<string, string>; headers: IncomingHttpHeaders };

/** What a refund request meets, one fault per attempt for its payment_intent (see `POST /__standin/faults`). */
export type RefundFault =
  /** 500 before anything happens: no refund made. */
  | 'before'
  /** The refund is made, then the answer is a 500: the caller cannot know. */
  | 'after'
  /** The refund is made, then the connection drops without an answer. */
  | 'drop-after'
  /** A 400 card/charge error: Stripe refuses for good, nothing made. */
  | 'decline';

type Refund = {
  id: string;
  object: 'refund';
  amount: number;
  currency: string;
  payment_intent: string;
  status: string;
  metadata: Record<string, string>;
  created: number;
};

/**
 * A local stand-in for the part of Stripe's API the Worker calls, so no test reaches
 * Stripe. `POST /v1/checkout/sessions` answers like Stripe (form-encoded in, a session
 * out); `GET /__standin/sessions/<id>` shows tests exactly what the SDK sent.
 * `POST /v1/refunds` and `GET /v1/refunds?payment_intent=` behave like Stripe's, with
 * idempotency keys honoured and, where a test registered the charge
 * (`POST /__standin/charges {"payment_intent","amount"}`), no refund beyond what was paid.
 * `POST /__standin/faults {"payment_intent","faults":[...],"replace"?}` queues failures for the next
 * refund attempts on that payment (the SDK retries twice on its own).
 */
export function startStripeStandin(port = 0): Promise<Server> {
  const received = new Map<string, Received>();
  const refunds = new Map<string, Refund[]>();
  const charges = new Map<string, number>();
  const faults = new Map<string, RefundFault[]>();
  const idempotent = new Map<string, { status: number; body: unknown }>();
  let counter = 0;
  const readBody = (req: import('node:http').IncomingMessage) =>
    new Promise<string>((resolve) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d) => (body += d));
      req.on('end', () => resolve(body));
    });
  const server = createServer(async (req, res) => {
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
    if (req.method === 'POST' && url.pathname === '/__standin/charges') {
      const { payment_intent, amount } = JSON.parse(await readBody(req));
      charges.set(payment_intent, amount);
      return send(200, { ok: true });
    }
    if (req.method === 'POST' && url.pathname === '/__standin/faults') {
      const body = JSON.parse(await readBody(req));
      faults.set(body.payment_intent, [...(body.replace ? [] : (faults.get(body.payment_intent) ?? [])), ...body.faults]);
      return send(200, { ok: true });
    }
    if (url.pathname === '/v1/refunds' && req.headers.authorization !== `Bearer ${STANDIN_SECRET_KEY}`) {
      return send(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_****' } });
    }
    if (req.method === 'GET' && url.pathname === '/v1/refunds') {
      const data = [...(refunds.get(url.searchParams.get('payment_intent') ?? '') ?? [])].reverse();
      return send(200, { object: 'list', url: '/v1/refunds', has_more: false, data });
    }
    if (req.method === 'POST' && url.pathname === '/v1/refunds') {
      const params = Object.fromEntries(new URLSearchParams(await readBody(req)));
      const pi = params.payment_intent ?? '';
      const fault = faults.get(pi)?.shift();
      if (fault === 'before')
        return send(500, { error: { type: 'api_error', message: 'An unknown error occurred (stand-in fault before)' } });
      const key = req.headers['idempotency-key'];
      const replay = typeof key === 'string' ? idempotent.get(key) : undefined;
      let answer = replay;
      // Stripe answers a retried idempotency key with the result it saved, so a decline can
      // only meet a request it has not seen; it is saved under the key like any answer.
      if (!answer && fault === 'decline') {
        answer = {
          status: 400,
          body: {
            error: { type: 'invalid_request_error', code: 'charge_disputed', message: 'This charge has been disputed (stand-in decline).' },
          },
        };
        if (typeof key === 'string') idempotent.set(key, answer);
      }
      if (!answer) {
        const amount = Number(params.amount);
        const list = refunds.get(pi) ?? [];
        const already = list.reduce((sum, r) => sum + r.amount, 0);
        const paid = charges.get(pi);
        if (!Number.isInteger(amount) || amount <= 0) {
          answer = {
            status: 400,
            body: { error: { type: 'invalid_request_error', param: 'amount', message: 'Invalid positive integer' } },
          };
        } else if (paid !== undefined && already + amount > paid) {
          answer = {
            status: 400,
            body: {
              error: {
                type: 'invalid_request_error',
                code: 'amount_too_large',
                param: 'amount',
                message: `Refund amount ($${amount / 100}) is greater than unrefunded amount on charge`,
              },
            },
          };
        } else {
          const metadata = Object.fromEntries(
            Object.entries(params).flatMap(([k, v]) => {
              const m = /^metadata\[(.+)\]$/.exec(k);
              return m ? [[m[1]!, v]] : [];
            }),
          );
          const refund: Refund = {
            id: `re_standin_${++counter}_${Math.random().toString(36).slice(2, 10)}`,
            object: 'refund',
            amount,
            currency: 'usd',
            payment_intent: pi,
            status: 'succeeded',
            metadata,
            created: Math.floor(Date.now() / 1000),
          };
          refunds.set(pi, [...list, refund]);
          answer = { status: 200, body: refund };
        }
        if (typeof key === 'string') idempotent.set(key, answer);
      }
      if (fault === 'after')
        return send(500, { error: { type: 'api_error', message: 'An unknown error occurred (stand-in fault after)' } });
      if (fault === 'drop-after') return void req.socket.destroy();
      return send(answer.status, answer.body);
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
