import { MICROS_PER_USD } from '../money';

/** Micros as dollars for people: whole cents where that is exact, else up to six decimals. */
export function formatUsd(microsValue: number): string {
  // A balance in debt (a card payment taken back) reads "−$1.00".
  if (microsValue < 0) return `−${formatUsd(-microsValue)}`;
  const dollars = microsValue / MICROS_PER_USD;
  const decimals = microsValue % 10_000 === 0 ? 2 : Math.min(6, Math.max(3, String(microsValue % 10_000).replace(/0+$/, '').length + 2));
  return `$${dollars.toFixed(decimals)}`;
}
