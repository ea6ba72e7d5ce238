/**
 * Every KV key the worker reads or writes, and the idempotency keys the wallet stores on
 * its ledger rows, built in one place. STORAGE.md documents each prefix (a test holds
 * the two together); a new key gets its prefix here and its row there.
 */

/** KV key prefixes, by what the key holds. */
export const KV_PREFIXES = {
  /** `site:<host>`: the site document, written by the admin API or `wrangler kv`. */
  site: 'site:',
  /** `site-lastgood:<host>`: the last site document that validated. */
  siteLastGood: 'site-lastgood:',
  /** `usage:<host>:<YYYY-MM-DD>`: one day's usage summary, written by the site's aggregator. */
  usage: 'usage:',
  /** `debt:<readerId>`: a reader whose balance a card refund or dispute took below zero (`{"since"}`); cleared once paid. */
  debt: 'debt:',
  /** `crawler-link:key:<keyid>`: the wallet a crawler's key (by RFC 7638 thumbprint) pays from (src/crawlers/crawler-links.ts). */
  crawlerKeyLink: 'crawler-link:key:',
  /** `crawler-link:directory:<Signature-Agent URL>`: the wallet every key of a crawler's key directory pays from. */
  crawlerDirectoryLink: 'crawler-link:directory:',
  /** `crawler-links:<readerId>:<linkId>`: a reader's crawler links, listed on their page and in their API. */
  readerCrawlerLinks: 'crawler-links:',
} as const;

export function crawlerKeyLinkKey(keyid: string): string {
  return `${KV_PREFIXES.crawlerKeyLink}${keyid}`;
}

export function crawlerDirectoryLinkKey(directory: string): string {
  return `${KV_PREFIXES.crawlerDirectoryLink}${directory}`;
}

export function readerCrawlerLinksPrefix(readerId: string): string {
  return `${KV_PREFIXES.readerCrawlerLinks}${readerId}:`;
}

export function readerCrawlerLinkKey(readerId: string, linkId: string): string {
  return `${readerCrawlerLinksPrefix(readerId)}${linkId}`;
}

export function siteKey(host: string): string {
  return `${KV_PREFIXES.site}${host}`;
}

/** The host a `site:` key names (for listing sites). */
export function hostOfSiteKey(key: string): string {
  return key.slice(KV_PREFIXES.site.length);
}

export function lastGoodSiteKey(host: string): string {
  return `${KV_PREFIXES.siteLastGood}${host}`;
}

export function debtKey(readerId: string): string {
  return `${KV_PREFIXES.debt}${readerId}`;
}

/** The reader a `debt:` key names (for listing wallets in debt). */
export function readerOfDebtKey(key: string): string {
  return key.slice(KV_PREFIXES.debt.length);
}

export function usageKey(host: string, day: string): string {
  return `${KV_PREFIXES.usage}${host}:${day}`;
}

/**
 * Prefixes of the idempotency keys kept on the wallet's ledger rows (column `idem`):
 * each says where the key came from, so keys from different callers never collide.
 */
export const IDEMPOTENCY_PREFIXES = {
  /** A view's `Idempotency-Key` header. */
  view: 'view:',
  /** The refund of a charge, by the charge's receipt: a charge is refunded at most once. */
  refund: 'refund:',
  /** A Stripe Checkout session's credit, by session id. */
  stripe: 'stripe:',
  /** An admin credit's `Idempotency-Key` header. */
  admin: 'admin:',
  /** A withdrawal part's `withdrawal` entry, by part id. */
  withdrawal: 'withdrawal:',
  /** The `credit` that returns a withdrawal part Stripe refused, by part id: at most once. */
  withdrawalVoid: 'withdrawal-void:',
  /** The `transfer_in` that gives a transfer the receiver refused back to its sender, by transfer id: at most once. */
  transferReturn: 'transfer-return:',
} as const;

export function withdrawalIdempotencyKey(partId: string): string {
  return `${IDEMPOTENCY_PREFIXES.withdrawal}${partId}`;
}

export function withdrawalVoidIdempotencyKey(partId: string): string {
  return `${IDEMPOTENCY_PREFIXES.withdrawalVoid}${partId}`;
}

export function viewIdempotencyKey(headerValue: string): string {
  return `${IDEMPOTENCY_PREFIXES.view}${headerValue}`;
}

export function refundIdempotencyKey(receipt: string): string {
  return `${IDEMPOTENCY_PREFIXES.refund}${receipt}`;
}

/** The receipt of the charge a refund's idempotency key names, or null for any other key. */
export function refundedReceiptOf(idem: string): string | null {
  return idem.startsWith(IDEMPOTENCY_PREFIXES.refund) ? idem.slice(IDEMPOTENCY_PREFIXES.refund.length) : null;
}

export function stripeIdempotencyKey(checkoutSessionId: string): string {
  return `${IDEMPOTENCY_PREFIXES.stripe}${checkoutSessionId}`;
}

export function adminIdempotencyKey(headerValue: string): string {
  return `${IDEMPOTENCY_PREFIXES.admin}${headerValue}`;
}
