/**
 * Cloudflare pay per crawl, as its documentation publishes it (read independently of
 * the Worker's code):
 *   crawl-pages: `crawler-price: USD 0.01` on the 402; `crawler-exact-price` /
 *   `crawler-max-price` on the paid request; `crawler-charged: USD 0.01` on the 200.
 *   error-codes: a `crawler-error` header with one code of this table.
 * https://developers.cloudflare.com/ai-crawl-control/features/pay-per-crawl/use-pay-per-crawl-as-ai-owner/crawl-pages/
 * https://developers.cloudflare.com/ai-crawl-control/features/pay-per-crawl/use-pay-per-crawl-as-ai-owner/error-codes/
 */
export const CRAWLER_ERROR_STATUS: Record<string, number> = {
  CrawlerForbidden: 403,
  StrongAuthRequired: 400,
  InvalidSignature: 400,
  InvalidCrawlerPriceValue: 400,
  MissingCrawlerPrice: 402,
  PaymentFailed: 403,
  InvalidCrawlerExactPrice: 402,
  InvalidCrawlerMaxPrice: 402,
  ConflictingPriceHeaders: 400,
  InvalidContentPrice: 502,
};

/** `<ISO 4217 code> <decimal amount>` as exact micros of that currency; throws on anything else. */
export function decodeCrawlerAmount(value: string | null, name: string): { currency: string; micros: number } {
  if (value === null) throw new Error(`${name}: header is missing`);
  const m = /^([A-Z]{3}) (0|[1-9]\d*)(?:\.(\d+))?$/.exec(value);
  if (!m) throw new Error(`${name}: "${value}" is not "<currency> <amount>"`);
  const fraction = m[3] ?? '';
  if (fraction.length > 6 && /[^0]/.test(fraction.slice(6))) throw new Error(`${name}: "${value}" is finer than a micro`);
  const micros = BigInt(m[2]!) * 1_000_000n + BigInt(fraction.slice(0, 6).padEnd(6, '0'));
  return { currency: m[1]!, micros: Number(micros) };
}

/** Micros in the documented notation, e.g. 10_000 → `USD 0.01` (exactly, by string arithmetic). */
export function encodeCrawlerAmount(micros: number): string {
  const digits = String(micros).padStart(7, '0');
  return `USD ${digits.slice(0, -6)}.${digits.slice(-6)}`;
}

/** The crawler-error code, checked against the documented table and the status it documents. */
export function crawlerError(response: Response): string | null {
  const code = response.headers.get('crawler-error');
  if (code === null) return null;
  if (!(code in CRAWLER_ERROR_STATUS)) throw new Error(`crawler-error: "${code}" is not a documented code`);
  if (CRAWLER_ERROR_STATUS[code] !== response.status) {
    throw new Error(`crawler-error: ${code} is documented with ${CRAWLER_ERROR_STATUS[code]}, answered with ${response.status}`);
  }
  return code;
}
