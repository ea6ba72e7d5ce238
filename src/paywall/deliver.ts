import type { Context } from 'hono';
import type { AppEnv } from '../http/app-types';
import { jsonError } from '../http/json-errors';
import { recordView } from '../usage/record-view';
import { walletOf } from '../wallet/wallet-stub';
import { setAgentSettlementHeaders } from './agent-payment';
import { dropPaywallCookies } from './origin-cookies';
import type { OriginResult } from './proxy-origin';

/** What a priced view settled at; `receipt` is null for a HEAD inside a re-view window. */
export type Charge = {
  readerId: string;
  host: string;
  path: string;
  chargedMicros: number;
  balanceMicros: number;
  receipt: string | null;
  replay: boolean;
};

/** Headers that would let a shared cache keep or replay a paid answer. */
const CACHE_HEADERS = ['cache-control', 'expires', 'age', 'etag', 'last-modified', 'surrogate-control', 'cdn-cache-control', 'cloudflare-cdn-cache-control'];

/**
 * The origin's answer as the reader gets it. A priced answer is marked private and
 * carries the charge; if the origin breaks its body off, the charge is refunded, since
 * the content was not delivered, but a reader who closes the connection has been
 * charged (the contract). Every answer from the origin is counted in the site's usage
 * here, and only here.
 */
export function deliver(c: Context<AppEnv>, fetched: OriginResult, charge: Charge | null, host: string): Response {
  if (!fetched.ok) return jsonError(c, fetched.status, fetched.error, fetched.message);
  const origin = fetched.response;
  const headers = new Headers(origin.headers);
  for (const name of origin.headers.keys()) if (name.startsWith('paywall-')) headers.delete(name);
  setAgentSettlementHeaders(headers, charge, c.req.raw);
  dropPaywallCookies(headers);

  let body = c.req.method === 'HEAD' ? null : origin.body;
  if (charge) {
    for (const name of CACHE_HEADERS) headers.delete(name);
    headers.set('cache-control', 'private, no-store');
    headers.append('vary', 'Authorization, Cookie');
    headers.set('paywall-charged-micros', String(charge.chargedMicros));
    headers.set('paywall-balance-micros', String(charge.balanceMicros));
    if (charge.receipt) headers.set('paywall-receipt', charge.receipt);
    if (charge.replay) headers.set('idempotency-replayed', 'true');
    if (body && charge.chargedMicros > 0 && charge.receipt && !charge.replay) {
      body = refundIfBroken(c, body, charge.readerId, charge.receipt);
    }
  } else if (c.req.method === 'HEAD') {
    origin.body?.cancel();
  }
  recordView(c, { host, status: origin.status, chargedMicros: charge?.chargedMicros ?? null, replay: charge?.replay ?? false });
  return new Response(body, { status: origin.status, statusText: origin.statusText, headers });
}

function refundIfBroken(c: Context<AppEnv>, body: ReadableStream<Uint8Array>, readerId: string, receipt: string) {
  // The runtime's own identity stream, not a JavaScript TransformStream: the pipe then runs
  // natively instead of one JavaScript step per chunk. It was a third of a paid view's
  // extra CPU in the bench (bench/RESULTS.md).
  const { readable, writable } = new IdentityTransformStream();
  // Aborted when the reader closes the connection (compatibility flag enable_request_signal).
  const hungUp = c.req.raw.signal;
  c.executionCtx.waitUntil(
    // preventAbort: the reader is told of an origin's break only after it has been judged.
    body.pipeTo(writable, { preventAbort: true }).catch(async (e) => {
      // Either side's failure fails the pipe, with the same error; only the origin's is
      // refunded. A reader who hung up was charged for what they chose to stop reading.
      if (hungUp.aborted) {
        console.log('reader closed the connection during a paid answer; the charge stands', receipt);
        return;
      }
      await writable.abort(e).catch(() => {});
      console.error('paid body broke off; refunding', receipt, String(e));
      // The refund is idempotent per receipt, so retrying a wallet that was briefly away is safe.
      for (const waitMs of [0, 200, 1000]) {
        await scheduler.wait(waitMs);
        try {
          const refunded = await walletOf(c.env, readerId).refund(receipt, 'content not delivered');
          if (refunded.ok) return;
        } catch (fault) {
          console.error('refund attempt failed', receipt, String(fault));
        }
      }
      console.error('REFUND NOT MADE: credit it by hand', { readerId, receipt });
    }),
  );
  return readable;
}
