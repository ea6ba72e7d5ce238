import { MICROS_PER_USD } from '../money';

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

/** Micros in the notation: `USD 0.0025`, at least two decimals, at most six, integer arithmetic only. */
export function formatCrawlerPrice(micros: number): string {
  const whole = Math.floor(micros / MICROS_PER_USD);
  const fraction = String(micros % MICROS_PER_USD)
    .padStart(6, '0')
    .replace(/0{1,4}$/, '');
  return `USD ${whole}.${fraction}`;
}

const PRICE = /^USD[ \t]+(\d{1,10})(?:\.(\d{1,32}))?$/;

/**
 * `USD <decimal>` as micros, or null when the value is not of that form or names a
 * fraction of a micro (flooring it would let `exact` or `max` mean less than was said).
 */
export function parseCrawlerPrice(value: string): number | null {
  const m = PRICE.exec(value.trim());
  if (!m) return null;
  const fraction = m[2] ?? '';
  if (/[^0]/.test(fraction.slice(6))) return null;
  const micros = Number(m[1]) * MICROS_PER_USD + Number(fraction.slice(0, 6).padEnd(6, '0'));
  return Number.isSafeInteger(micros) ? micros : null;
}

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
  const micros = parseCrawlerPrice((max ?? exact)!);
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
