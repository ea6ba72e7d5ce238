import { createMiddleware } from 'hono/factory';
import { AppError } from '../http/app-error';
import { parseUsdFromCrawlerHeader, usdForCrawlerHeaders } from '../money';
import type { ViewOutcomeVariables } from './view-outcome';

/**
 * Cloudflare's pay per crawl notation, spoken over prepaid balances. A 402 names the
 * price in `crawler-price: USD 0.01`; a crawler states what it will pay with
 * `crawler-max-price` or `crawler-exact-price` (both are a ceiling here, the same as
 * `Paywall-Max-Price-Micros`); a paid answer reports `crawler-charged`. Header values
 * that cannot be honoured get the `crawler-error` codes Cloudflare documents:
 * https://developers.cloudflare.com/ai-crawl-control/features/pay-per-crawl/use-pay-per-crawl-as-ai-owner/crawl-pages/
 * https://developers.cloudflare.com/ai-crawl-control/features/pay-per-crawl/use-pay-per-crawl-as-ai-owner/error-codes/
 * The `payPerCrawl` middleware reads the request's headers into the context before the
 * view, and writes the answer's headers after it.
 */
export const CRAWLER_PRICE = 'crawler-price';
export const CRAWLER_MAX_PRICE = 'crawler-max-price';
export const CRAWLER_EXACT_PRICE = 'crawler-exact-price';
export const CRAWLER_CHARGED = 'crawler-charged';
export const CRAWLER_ERROR = 'crawler-error';

/** The codes of Cloudflare's table that a prepaid balance can run into. */
export type CrawlerErrorCode =
  | 'InvalidCrawlerPriceValue' // 400: a price header is not `USD <amount>`
  | 'ConflictingPriceHeaders' // 400: both price headers
  | 'InvalidSignature' // 400: a Web Bot Auth signature that does not verify (src/crawlers/crawler-view.ts)
  | 'CrawlerForbidden' // 403: the site blocks this crawler
  | 'MissingCrawlerPrice' // 402: a crawler paying by its signature alone stated no price
  | 'InvalidCrawlerMaxPrice' // 402: the max price is below the price
  | 'InvalidCrawlerExactPrice'; // 402: the exact price is below the price

export type CrawlerCeiling = { header: typeof CRAWLER_MAX_PRICE | typeof CRAWLER_EXACT_PRICE; micros: number };

/**
 * The most a crawler said it will pay (null: it said nothing), or why its headers cannot be
 * honoured. The error is thrown only by a view of a priced path: a free one ignores them.
 */
export type CrawlerCeilingRead = { ceiling: CrawlerCeiling | null } | { error: AppError };

export type PayPerCrawlVariables = { payPerCrawl: CrawlerCeilingRead };

/**
 * Pay per crawl around a view: the crawler's ceiling into `c.var.payPerCrawl` first; then,
 * on the answer, the price of a 402 (`crawler-price`, with `crawler-error` when the
 * crawler's own value refused it) or what a paid answer cost (`crawler-charged`).
 */
export const payPerCrawl = createMiddleware<{ Variables: PayPerCrawlVariables & ViewOutcomeVariables }>(async (c, next) => {
  c.set('payPerCrawl', readCrawlerCeiling(c.req.raw.headers));
  await next();
  const outcome = c.var.viewOutcome;
  if (outcome === undefined) return;
  if ('charged' in outcome) {
    c.header(CRAWLER_CHARGED, usdForCrawlerHeaders(outcome.charged.chargedMicros));
    return;
  }
  const { priceMicros } = outcome.view;
  c.header(CRAWLER_PRICE, usdForCrawlerHeaders(priceMicros));
  const read = c.var.payPerCrawl;
  const code = outcome.missingCrawlerPrice
    ? 'MissingCrawlerPrice'
    : outcome.refused === 'price_above_max' && 'ceiling' in read
      ? crawlerRefusalCode(read.ceiling, priceMicros)
      : null;
  if (code) c.header(CRAWLER_ERROR, code);
});

/** The crawler's ceiling from its request headers, or the 400 (with its `crawler-error`) when they cannot be honoured. */
export function readCrawlerCeiling(headers: Headers): CrawlerCeilingRead {
  const refused = (code: CrawlerErrorCode, field: string, message: string): CrawlerCeilingRead => ({
    error: new AppError('invalid_request', message, { field, headers: { [CRAWLER_ERROR]: code } }),
  });
  const max = headers.get(CRAWLER_MAX_PRICE);
  const exact = headers.get(CRAWLER_EXACT_PRICE);
  if (max !== null && exact !== null) {
    return refused('ConflictingPriceHeaders', CRAWLER_MAX_PRICE, 'Send either crawler-max-price or crawler-exact-price, not both.');
  }
  const header = max !== null ? CRAWLER_MAX_PRICE : exact !== null ? CRAWLER_EXACT_PRICE : null;
  if (header === null) return { ceiling: null };
  const micros = parseUsdFromCrawlerHeader((max ?? exact)!);
  if (micros === null) {
    return refused('InvalidCrawlerPriceValue', header, `${header} must be "USD <amount>" with at most six decimals, e.g. "USD 0.01".`);
  }
  return { ceiling: { header, micros } };
}

/** The code for a 402 whose price is above the crawler's ceiling; null when the crawler's value was not what refused it. */
export function crawlerRefusalCode(ceiling: CrawlerCeiling | null, priceMicros: number): CrawlerErrorCode | null {
  if (!ceiling || priceMicros <= ceiling.micros) return null;
  return ceiling.header === CRAWLER_MAX_PRICE ? 'InvalidCrawlerMaxPrice' : 'InvalidCrawlerExactPrice';
}
