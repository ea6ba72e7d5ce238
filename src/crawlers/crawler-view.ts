import type { Context } from 'hono';
import { hasWalletHost, walletOrigin } from '../http/hosts';
import type { AppEnv } from '../http/app-types';
import { AppError } from '../http/app-error';
import { CRAWLER_ERROR } from '../paywall/pay-per-crawl';
import { payerOfView, type ViewPayer } from '../reader/view-reader';
import type { Site } from '../rules/site-schema';
import { actionFor, crawlerPrice, identityOf, type CrawlerIdentity } from './crawler-identity';
import { verifyCrawler } from './verify-crawler';

/**
 * The crawler side of a view, hooked into the view handler: verify a Web Bot Auth
 * signature, name the crawler, and apply the site's policy. Returns what the view costs
 * this requester; a bad signature is a 400 and a blocked crawler a 403.
 */
export type CrawlerTerms = {
  identity: CrawlerIdentity;
  /** What the view costs this requester (the rule's price for people). */
  priceMicros: number;
  /** A priced path that this crawler is allowed free: its answer must not be cached as public. */
  allowedFree: boolean;
};

export async function crawlerTermsOf(c: Context<AppEnv>, site: Site, rulePriceMicros: number): Promise<CrawlerTerms> {
  const policy = site.crawlers;
  const named = new Set(Object.keys(policy?.signatureAgents ?? {}).filter((k) => k.includes('://')));
  const signature = await verifyCrawler(c.env, c.req.raw, named);
  if (signature.kind === 'invalid') {
    throw new AppError('invalid_signature', signature.message, {
      field: signature.field,
      extra: { reason: signature.failure },
      headers: { [CRAWLER_ERROR]: 'InvalidSignature' },
    });
  }
  const identity = identityOf(c.req.raw.cf, signature);
  const action = actionFor(policy, identity);
  if (action?.action === 'block') {
    throw new AppError('crawler_forbidden', `${site.host} does not allow this crawler.`, {
      headers: { [CRAWLER_ERROR]: 'CrawlerForbidden' },
    });
  }
  const priceMicros = crawlerPrice(action, rulePriceMicros);
  return { identity, priceMicros, allowedFree: rulePriceMicros > 0 && priceMicros === 0 };
}

/**
 * Who pays for a priced view: an Authorization token first (the client said so), then a
 * linked crawler's signature, then the reader's cookie on the reader's own requests.
 */
export async function payerOf(c: Context<AppEnv>, terms: CrawlerTerms): Promise<ViewPayer & { bySignature: boolean }> {
  if (c.req.header('authorization') !== undefined) return { ...(await payerOfView(c)), bySignature: false };
  // A signer pays through its link or not at all: a signature never makes a cookie count.
  if (terms.identity.kind === 'signed')
    return { readerId: terms.identity.payer, grant: undefined, bySignature: terms.identity.payer !== null };
  return { ...(await payerOfView(c)), bySignature: false };
}

/** Where a crawler's operator links its key: the bearer-token API on the wallet host (this host until one is set). */
export function crawlerLinkUrl(c: Context<AppEnv>): string {
  const base = hasWalletHost(c.env) ? walletOrigin(c.env, c.req.url) : new URL(c.req.url).origin;
  return `${base}/__paywall/api/me/crawler-keys`;
}

/** A 402 for a signer no wallet is linked to: the usual 402, plus how to link the key. */
export async function withLinkHelp(c: Context<AppEnv>, res: Response, identity: CrawlerIdentity): Promise<Response> {
  if (identity.kind !== 'unidentified' || !identity.signer) return res;
  const linkUrl = crawlerLinkUrl(c);
  const out = new Response(res.body, res);
  out.headers.append('link', `<${linkUrl}>; rel="crawler-key-link"`);
  if (!/json/.test(res.headers.get('content-type') ?? '')) return out;
  const body = (await res.json()) as Record<string, unknown>;
  const crawler = {
    linked: false,
    keyid: identity.signer.keyid,
    signatureAgent: identity.signer.agent,
    linkUrl,
    howToLink:
      `No wallet pays for this crawler's key. Its operator links it once: POST ${linkUrl} with the reader's bearer token and ` +
      `{"jwk": <the Ed25519 public key>} or {"directory": "<the Signature-Agent URL>"}; then signed requests pay with crawler-max-price or crawler-exact-price.`,
  };
  const headers = new Headers(out.headers);
  headers.delete('content-length');
  return new Response(JSON.stringify({ ...body, crawler }), { status: res.status, headers });
}

/** An answer to a crawler allowed free on a priced path: never kept by a shared cache for people to read free. */
export function keepPrivate(res: Response): Response {
  const out = new Response(res.body, res);
  out.headers.set('cache-control', 'private, no-store');
  for (const name of ['expires', 'surrogate-control', 'cdn-cache-control', 'cloudflare-cdn-cache-control']) out.headers.delete(name);
  return out;
}
