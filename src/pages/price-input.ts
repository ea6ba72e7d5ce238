import { MICROS_PER_USD } from '../money';

/**
 * Prices typed by people, in dollars or cents, to integer micros and back: decimal text
 * is split into digits and scaled with BigInt, so no float ever rounds a price.
 */
export type PriceUnit = 'usd' | 'cents';

export const PRICE_UNITS: Record<PriceUnit, { label: string; decimals: number }> = {
  usd: { label: 'US dollars', decimals: 6 },
  cents: { label: 'cents', decimals: 4 },
};

export type ParsedPrice = { ok: true; micros: number } | { ok: false; message: string };

export function parsePrice(text: string, unit: PriceUnit): ParsedPrice {
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

/** The exact decimal text of `micros` in `unit`, without trailing zeros: parsePrice reads it back to the same micros. */
export function formatPrice(micros: number, unit: PriceUnit): string {
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
export function parseUsd(text: string): number | null {
  const t = text.trim().replace(/,(?=\d{3}(\D|$))/g, '');
  if (!/^\$?\s*\d/.test(t)) return null;
  const price = parsePrice(t, 'usd');
  return price.ok && price.micros < 10_000_000 * MICROS_PER_USD ? price.micros : null;
}
