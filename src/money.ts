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

/**
 * Prices typed by people into a form, in dollars or cents, to integer micros and back:
 * decimal text is split into digits and scaled with BigInt, so no float ever rounds a price.
 */
export type PriceUnit = 'usd' | 'cents';

export const PRICE_UNITS: Record<PriceUnit, { label: string; decimals: number }> = {
  usd: { label: 'US dollars', decimals: 6 },
  cents: { label: 'cents', decimals: 4 },
};

export type ParsedPrice = { ok: true; micros: number } | { ok: false; message: string };

export function parsePriceTypedByPeople(text: string, unit: PriceUnit): ParsedPrice {
  const { decimals } = PRICE_UNITS[unit];
  let t = text.trim();
  if (unit === 'usd' && t.startsWith('$')) t = t.slice(1).trim();
  if (unit === 'cents' && (t.endsWith('¢') || t.endsWith('c'))) t = t.slice(0, -1).trim();
  if (t === '') return { ok: false, message: 'is required (0 for free)' };
  const m = /^(\d*)(?:\.(\d*))?$/.exec(t);
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) {
    return { ok: false, message: `must be a number of ${PRICE_UNITS[unit].label}, like ${unit === 'usd' ? '0.002' : '0.25'}` };
  }
  const fraction = (m[2] ?? '').replace(/0+$/, '');
  if (fraction.length > decimals) {
    return { ok: false, message: `has more than ${decimals} decimals: prices are whole micros ($0.000001)` };
  }
  const micros = BigInt(m[1] || '0') * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
  if (micros > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, message: 'is too large' };
  return { ok: true, micros: Number(micros) };
}

/** The exact decimal text of `micros` in `unit`, without trailing zeros: parsePriceTypedByPeople reads it back to the same micros. */
export function priceForForms(micros: number, unit: PriceUnit): string {
  const scale = 10n ** BigInt(PRICE_UNITS[unit].decimals);
  const m = BigInt(micros);
  const fraction = (m % scale).toString().padStart(PRICE_UNITS[unit].decimals, '0').replace(/0+$/, '');
  return `${m / scale}${fraction ? `.${fraction}` : ''}`;
}

export function isPriceUnit(value: string): value is PriceUnit {
  return value === 'usd' || value === 'cents';
}

/**
 * Dollars as a reader types them on the account page ("5", "0.50", "$2.5", "1,000") to
 * micros: null for anything else, or ten million dollars and more.
 */
export function parseUsdTypedByPeople(text: string): number | null {
  const t = text.trim().replace(/,(?=\d{3}(\D|$))/g, '');
  if (!/^\$?\s*\d/.test(t)) return null;
  const price = parsePriceTypedByPeople(t, 'usd');
  return price.ok && price.micros < 10_000_000 * MICROS_PER_USD ? price.micros : null;
}

/** Dollars in a CSV cell, for spreadsheets: `0.0025`, `-1.50` (a plain decimal, no symbol, at least two decimals). */
export function usdForCsv(microsValue: number): string {
  const s = (Math.abs(microsValue) / MICROS_PER_USD).toFixed(6).replace(/(\.\d\d\d*?)0+$/, '$1');
  return (microsValue < 0 ? '-' : '') + s;
}
