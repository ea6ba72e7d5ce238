import type { Context } from 'hono';
import type { AppEnv } from '../http/app-types';
import { hasWalletHost, walletOrigin } from '../http/hosts';
import { jsonError } from '../http/json-errors';
import { recordView } from '../usage/record-view';
import { walletOf } from '../wallet/wallet-stub';
import { setAgentSettlementHeaders } from './agent-payment';
import { dropPaywallCookies } from './origin-cookies';
import type { OriginResult } from './proxy-origin';
import { addReceiptBar, headerPolicies } from './receipt-bar';

/** What a priced view settled at; `receipt` is null for a HEAD inside a re-view window. */
export type Charge = {
  readerId: string;
  host: string;
  path: string;
  chargedMicros: number;
  balanceMicros: number;
  receipt: string | null;
  replay: boolean;
  /** The site opted in to the receipt bar (its document's `receiptBar`). */
  receiptBar: boolean;
};

/** Headers that would let a shared cache keep or replay a paid answer. */
const CACHE_HEADERS = [
  'cache-control',
  'expires',
  'age',
  'etag',
  'last-modified',
  'surrogate-control',
  'cdn-cache-control',
  'cloudflare-cdn-cache-control',
];

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
      if (isHtml(headers)) {
        // One pass of one rewriter over the streaming page: the article's title goes on the
        // charge's row once the whole page went through (one row update, only for an HTML
        // answer whose head has a title), and the site's receipt bar, if it has one, goes first in the body.
        const { readerId, receipt, chargedMicros, balanceMicros } = charge;
        const rewriter = readTitle(new HTMLRewriter(), (title) =>
          c.executionCtx.waitUntil(
            walletOf(c.env, readerId)
              .setChargeTitle(receipt, title)
              .catch((e) => console.error('title not kept', receipt, String(e))),
          ),
        );
        if (charge.receiptBar) {
          addReceiptBar(
            rewriter,
            () => ({ chargedMicros, balanceMicros, receiptUrl: receiptUrl(c.env, c.req.url, receipt) }),
            headerPolicies(headers),
            Promise.resolve(true),
          );
        }
        // A rewritten page's length is the rewriter's (the bar makes it grow), no longer the origin's.
        headers.delete('content-length');
        body = rewriter.transform(new Response(body)).body!;
      }
    }
  } else if (c.req.method === 'HEAD') {
    origin.body?.cancel();
  }
  recordView(c, { host, status: origin.status, chargedMicros: charge?.chargedMicros ?? null, replay: charge?.replay ?? false });
  return new Response(body, { status: origin.status, statusText: origin.statusText, headers });
}

function isHtml(headers: Headers): boolean {
  return /^\s*(text\/html|application\/xhtml\+xml)\b/i.test(headers.get('content-type') ?? '');
}

/** Raw characters of a title kept while it streams: more than the wallet keeps, far less than a page. */
const TITLE_READ_CHARS = 1000;

/**
 * The page's `<title>` (the first in its head), read by HTMLRewriter as the body streams
 * through: nothing is fetched twice and nothing is buffered. Once the whole body has
 * passed, its text (entities decoded) goes to `delivered`; the wallet trims and bounds it.
 */
function readTitle(rewriter: HTMLRewriter, delivered: (title: string) => void): HTMLRewriter {
  let raw = '';
  let seen = 0;
  let open = false;
  let inBody = false;
  // The document's title comes before its body (whose <svg> may hold titles of its own); the head's tag may be implied.
  rewriter
    .on('body', {
      element: () => {
        inBody = true;
      },
    })
    .on('title', {
      element(el) {
        if (inBody) return;
        seen += 1;
        open = seen === 1;
        el.onEndTag(() => {
          open = false;
        });
      },
      text(chunk) {
        if (open && raw.length < TITLE_READ_CHARS) raw += chunk.text.slice(0, TITLE_READ_CHARS - raw.length);
      },
    });
  // The document's end: every byte has passed (a body broken off never gets here).
  rewriter.onDocument({
    end() {
      const title = decodeEntities(raw);
      if (title.trim() !== '') delivered(title);
    },
  });
  return rewriter;
}

/** The charge's receipt page: on the wallet host, or on this publisher host when there is none. */
export function receiptUrl(env: Env, requestUrl: string, receipt: string): string {
  const origin = hasWalletHost(env) ? walletOrigin(env, requestUrl) : new URL(requestUrl).origin;
  return `${origin}/__paywall/account/receipts/${encodeURIComponent(receipt)}`;
}

const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  mdash: '—',
  ndash: '–',
  hellip: '…',
  rsquo: '’',
  lsquo: '‘',
  rdquo: '”',
  ldquo: '“',
};

/** A title's character references as a person reads them (the common named ones, and every numeric one). */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,8});/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
    }
    return NAMED[ref.toLowerCase()] ?? whole;
  });
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
