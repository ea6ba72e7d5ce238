import type { Context } from 'hono';
import { AppError } from '../http/app-error';
import type { CompiledRules } from '../rules/compile-rules';
import type { CrawlerPolicy } from '../crawlers/crawler-policy-schema';
import { usdForCrawlerHeaders } from '../money';
import { PREPAID_ASSET, PREPAID_NETWORK, PREPAID_SCHEME, X402_VERSION } from './x402';

/**
 * `/.well-known/paywall.json`: a site's prices, so that an agent can budget before it
 * asks. It is made from the very CompiledRules object that prices views (the one the
 * site store hands the view handler), in the same order and with the same matching
 * semantics, and the Worker answers it itself: never proxied, never charged.
 */
export const PRICE_MANIFEST_PATH = '/.well-known/paywall.json';

export type PriceManifest = {
  manifestVersion: 1;
  host: string;
  currency: 'USD';
  amountUnit: 'micros';
  matching: {
    syntax: 'URLPattern pathname';
    order: 'first match wins';
    ignoreCase: true;
    trailingSlash: 'one trailing slash is ignored';
    noMatch: 'free';
  };
  rules: { pattern: string; priceMicros: number; crawlerPrice: string; reviewWindowSeconds?: number }[];
  alwaysFree: string[];
  /** The site's crawler policy as written (absent: every crawler pays the rules' prices, as people do). */
  crawlers?: CrawlerPolicy;
  payment: {
    createReader: string;
    topUp: string;
    account: string;
    maxPriceHeader: 'Paywall-Max-Price-Micros';
    idempotencyHeader: 'Idempotency-Key';
    x402: { x402Version: 2; scheme: string; network: string; asset: string; payTo: string };
    payPerCrawl: {
      priceHeader: 'crawler-price';
      ceilingHeaders: ['crawler-max-price', 'crawler-exact-price'];
      chargedHeader: 'crawler-charged';
    };
  };
};

/** Whether a normalised path names the manifest, with the rules' leniency on case and one trailing slash. */
export function isPriceManifestPath(path: string): boolean {
  const lower = path.toLowerCase();
  return lower === PRICE_MANIFEST_PATH || lower === `${PRICE_MANIFEST_PATH}/`;
}

export function priceManifestOf(rules: CompiledRules, base: string): PriceManifest {
  const { site } = rules;
  return {
    manifestVersion: 1,
    host: site.host,
    currency: 'USD',
    amountUnit: 'micros',
    matching: {
      syntax: 'URLPattern pathname',
      order: 'first match wins',
      ignoreCase: true,
      trailingSlash: 'one trailing slash is ignored',
      noMatch: 'free',
    },
    rules: site.rules.map((r) => ({
      pattern: r.pattern,
      priceMicros: r.priceMicros,
      crawlerPrice: usdForCrawlerHeaders(r.priceMicros),
      ...(r.reviewWindowSeconds !== undefined ? { reviewWindowSeconds: r.reviewWindowSeconds } : {}),
    })),
    alwaysFree: [PRICE_MANIFEST_PATH, '/__paywall/*'],
    ...(site.crawlers ? { crawlers: site.crawlers } : {}),
    payment: {
      createReader: `${base}/__paywall/api/readers`,
      topUp: `${base}/__paywall/api/topup`,
      account: `${base}/__paywall/account`,
      maxPriceHeader: 'Paywall-Max-Price-Micros',
      idempotencyHeader: 'Idempotency-Key',
      x402: { x402Version: X402_VERSION, scheme: PREPAID_SCHEME, network: PREPAID_NETWORK, asset: PREPAID_ASSET, payTo: site.host },
      payPerCrawl: {
        priceHeader: 'crawler-price',
        ceilingHeaders: ['crawler-max-price', 'crawler-exact-price'],
        chargedHeader: 'crawler-charged',
      },
    },
  };
}

/** Body and ETag per compiled rules and origin: a 20,000-rule site is serialised once, not per request. */
const rendered = new WeakMap<CompiledRules, Map<string, { body: string; etag: string }>>();

async function render(rules: CompiledRules, base: string): Promise<{ body: string; etag: string }> {
  let byBase = rendered.get(rules);
  if (!byBase) {
    byBase = new Map();
    rendered.set(rules, byBase);
  }
  const cached = byBase.get(base);
  if (cached) return cached;
  const body = JSON.stringify(priceManifestOf(rules, base));
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body));
  const etag = `"${Array.from(new Uint8Array(digest).slice(0, 16), (b) => b.toString(16).padStart(2, '0')).join('')}"`;
  if (byBase.size >= 16) byBase.clear();
  const entry = { body, etag };
  byBase.set(base, entry);
  return entry;
}

/** The manifest answer: GET and HEAD only; revalidated on every use, so it is never staler than the rules that price. */
export async function servePriceManifest(c: Context, rules: CompiledRules): Promise<Response> {
  if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
    throw new AppError('method_not_allowed', 'The price manifest is read with GET or HEAD.', { headers: { allow: 'GET, HEAD' } });
  }
  const { body, etag } = await render(rules, new URL(c.req.url).origin);
  const headers = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, no-cache', etag };
  const inm = c.req.header('if-none-match');
  if (inm?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) return c.body(null, 304, headers);
  if (c.req.method === 'HEAD') return c.body(null, 200, headers);
  return c.body(body, 200, headers);
}
