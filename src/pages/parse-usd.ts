import { MICROS_PER_USD } from '../money';

/**
 * Dollars as a person types them ("5", "0.50", "$2.5", "1,000") to micros, exactly,
 * without a float: null for anything else. Up to six decimals, under ten million dollars.
 */
export function parseUsd(text: string): number | null {
  const m = /^\$?(\d{1,7})(?:\.(\d{0,6}))?$/.exec(text.trim().replace(/^\$\s*/, '$').replace(/,(?=\d{3}(\D|$))/g, ''));
  if (!m) return null;
  return Number(m[1]) * MICROS_PER_USD + Number((m[2] ?? '').padEnd(6, '0'));
}
