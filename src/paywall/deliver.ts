import type { Context } from 'hono';
import { AppError } from '../http/app-error';
import type { AppEnv } from '../http/app-types';
import { hasWalletHost, walletOrigin } from '../http/hosts';
import { log } from '../http/log';
import { recordView } from '../usage/record-view';
import { walletOf } from '../wallet/wallet-stub';
import { dropPaywallCookies } from './origin-cookies';
import { CRAWLER_CHARGED, CRAWLER_ERROR, CRAWLER_PRICE } from './pay-per-crawl';
import type { OriginResult } from './proxy-origin';
import { addReceiptBar, headerPolicies } from './receipt-bar';
import { rememberTitle } from './known-titles';
import { refundIfOriginBreaksOff } from './undo-charges';
import type { Charge } from './view-outcome';
import { PAYMENT_REQUIRED, PAYMENT_RESPONSE } from './x402';

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

/** Headers only the paywall may set: what was charged, in its own terms and each protocol's. */
const PROTOCOL_RESPONSE_HEADERS = [CRAWLER_PRICE, CRAWLER_CHARGED, CRAWLER_ERROR, PAYMENT_REQUIRED, PAYMENT_RESPONSE];

/**
 * The origin's answer as the reader gets it. A priced answer is marked private and
 * carries the charge; if the origin breaks its body off, the charge is refunded, since
 * the content was not delivered, but a reader who closes the connection has been
 * charged (the contract). The charge goes on the context, for the x402 and pay per crawl
 * middlewares to report in their own terms. Every answer from the origin is counted in
 * the site's usage here, and only here; an origin that did not answer is its 502 or 504.
 */
export function deliver(c: Context<AppEnv>, fetched: OriginResult, charge: Charge | null, host: string): Response {
  if (!fetched.ok) throw new AppError(fetched.error, fetched.message);
  const origin = fetched.response;
  const headers = new Headers(origin.headers);
  // The origin cannot forge what the paywall reports.
  for (const name of origin.headers.keys()) if (name.startsWith('paywall-')) headers.delete(name);
  for (const name of PROTOCOL_RESPONSE_HEADERS) headers.delete(name);
  dropPaywallCookies(headers);

  let body = c.req.method === 'HEAD' ? null : origin.body;
  if (charge) {
    c.set('viewOutcome', { charged: charge });
    for (const name of CACHE_HEADERS) headers.delete(name);
    headers.set('cache-control', 'private, no-store');
    headers.append('vary', 'Authorization, Cookie');
    headers.set('paywall-charged-micros', String(charge.chargedMicros));
    headers.set('paywall-balance-micros', String(charge.balanceMicros));
    if (charge.receipt) headers.set('paywall-receipt', charge.receipt);
    if (charge.replay) headers.set('idempotency-replayed', 'true');
    if (body && charge.chargedMicros > 0 && charge.receipt && !charge.replay) {
      body = refundIfOriginBreaksOff(c, body, charge.readerId, charge.receipt, charge.unreported?.dropUnreported);
      if (isHtml(headers)) {
        // One pass of one rewriter over the streaming page: the article's title goes on the
        // charge's row once the whole page went through (one row update, only for an HTML
        // answer whose head has a title the charge was not already written with), and the
        // site's receipt bar, if it has one, goes first in the body.
        const { readerId, receipt, chargedMicros, balanceMicros } = charge;
        const rewriter = readTitle(new HTMLRewriter(), (title) => {
          rememberTitle(charge.host, charge.path, title);
          // A leased view's title goes with its batch if not yet reported; else it is not written
          // (a request per view is what leases save): a crawler's history then names the path.
          if (title === charge.titleOnCharge || charge.unreported) {
            charge.unreported?.keepTitle(title);
            return;
          }
          c.executionCtx.waitUntil(
            walletOf(c.env, readerId)
              .setChargeTitle(receipt, title)
              .catch((e) => log('error', 'title_not_kept', { readerId, receipt, error: e })),
          );
        });
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
