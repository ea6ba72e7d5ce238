import { parseUsdFromCrawlerHeader } from '../money';

/**
 * Cloudflare's pay per crawl notation, spoken over prepaid balances. A 402 names the
 * price in `crawler-price: USD 0.01`; a crawler states what it will pay with
 * `crawler-max-price` or `crawler-exact-price` (both are a ceiling here, the same as
 * `Paywall-Max-Price-Micros`); a paid answer reports `crawler-charged`. Header values
 * that cannot be honoured get the `crawler-error` codes Cloudflare documents:
 * https://developers.cloudflare.com/ai-crawl-control/features/pay-per-crawl/use-pay-per-crawl-as-ai-owner/crawl-pages/
 * https://developers.cloudflare.com/ai-crawl-control/features/pay-per-crawl/use-pay-per-crawl-as-ai-owner/error-codes/
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
  | 'InvalidCrawlerMaxPrice' // 402: the max price is below the price
  | 'InvalidCrawlerExactPrice'; // 402: the exact price is below the price

export type CrawlerCeiling = { header: typeof CRAWLER_MAX_PRICE | typeof CRAWLER_EXACT_PRICE; micros: number };

export type CrawlerTerms =
  | { ok: true; ceiling: CrawlerCeiling | null }
  | { ok: false; code: CrawlerErrorCode; field: string; message: string };

/** The crawler's ceiling from its request headers, or why they cannot be honoured. */
export function readCrawlerTerms(headers: Headers): CrawlerTerms {
  const max = headers.get(CRAWLER_MAX_PRICE);
  const exact = headers.get(CRAWLER_EXACT_PRICE);
  if (max !== null && exact !== null) {
    return {
      ok: false,
      code: 'ConflictingPriceHeaders',
      field: CRAWLER_MAX_PRICE,
      message: 'Send either crawler-max-price or crawler-exact-price, not both.',
    };
  }
  const header = max !== null ? CRAWLER_MAX_PRICE : exact !== null ? CRAWLER_EXACT_PRICE : null;
  if (header === null) return { ok: true, ceiling: null };
  const micros = parseUsdFromCrawlerHeader((max ?? exact)!);
  if (micros === null) {
    return {
      ok: false,
      code: 'InvalidCrawlerPriceValue',
      field: header,
      message: `${header} must be "USD <amount>" with at most six decimals, e.g. "USD 0.01".`,
    };
  }
  return { ok: true, ceiling: { header, micros } };
}

/** The code for a 402 whose price is above the crawler's ceiling; null when the crawler's value was not what refused it. */
export function crawlerRefusalCode(ceiling: CrawlerCeiling | null, priceMicros: number): CrawlerErrorCode | null {
  if (!ceiling || priceMicros <= ceiling.micros) return null;
  return ceiling.header === CRAWLER_MAX_PRICE ? 'InvalidCrawlerMaxPrice' : 'InvalidCrawlerExactPrice';
}
