import { z } from 'zod';
import { AppError } from './http/app-error';

/**
 * Money: every amount is an integer number of micros (1 USD = 1,000,000), so no float ever
 * touches it. This module is where amounts are read from text and written as text, each
 * function named for the notation it speaks.
 */
export const MICROS_PER_USD = 1_000_000;
export const MICROS_PER_CENT = 10_000;

export const micros = z
  .number({ error: 'must be a number of micros' })
  .int({ error: 'must be an integer number of micros' })
  .nonnegative({ error: 'must not be negative' })
  .max(Number.MAX_SAFE_INTEGER, { error: 'must be a safe integer' });

export type Micros = z.infer<typeof micros>;

/**
 * A header carrying micros (`Paywall-Max-Price-Micros: 2500`): digits only, no sign, no
 * exponent, within the safe range. Null when the header is absent; anything else is a 400
 * naming the header.
 */
export function parseMicrosHeader(value: string | null | undefined, header: string): Micros | null {
  if (value == null) return null;
  const text = value.trim();
  const n = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n)) {
    throw new AppError('invalid_request', `${header} must be a non-negative integer number of micros.`, { field: header });
  }
  return n;
}

/** Dollars as people read them on a page: `$0.05` (whole cents where that is exact), `$0.0025`, `−$1.00` for a debt. */
export function usdForPeople(microsValue: number): string {
  // A balance in debt (a card payment taken back) reads "−$1.00".
  if (microsValue < 0) return `−${usdForPeople(-microsValue)}`;
  const dollars = microsValue / MICROS_PER_USD;
  const decimals = microsValue % 10_000 === 0 ? 2 : Math.min(6, Math.max(3, String(microsValue % 10_000).replace(/0+$/, '').length + 2));
  return `$${dollars.toFixed(decimals)}`;
}

/**
 * Pay per crawl's notation in `crawler-price` and `crawler-charged`: `USD 0.0025`, at least
 * two decimals, at most six, integer arithmetic only.
 */
export function usdForCrawlerHeaders(microsValue: number): string {
  const whole = Math.floor(microsValue / MICROS_PER_USD);
  const fraction = String(microsValue % MICROS_PER_USD)
    .padStart(6, '0')
    .replace(/0{1,4}$/, '');
  return `USD ${whole}.${fraction}`;
}

const CRAWLER_USD = /^USD[ \t]+(\d{1,10})(?:\.(\d{1,32}))?$/;

/**
 * `USD <decimal>` (`crawler-max-price`, `crawler-exact-price`) as micros, or null when the
 * value is not of that form or names a fraction of a micro (flooring it would let `exact`
 * or `max` mean less than was said).
 */
export function parseUsdFromCrawlerHeader(value: string): Micros | null {
  const m = CRAWLER_USD.exec(value.trim());
  if (!m) return null;
  const fraction = m[2] ?? '';
  if (/[^0]/.test(fraction.slice(6))) return null;
  const n = Number(m[1]) * MICROS_PER_USD + Number(fraction.slice(0, 6).padEnd(6, '0'));
  return Number.isSafeInteger(n) ? n : null;
}
