import { z } from 'zod';

/** Micros: 1 USD = 1,000,000. Integers only, so no float ever touches money. */
export const MICROS_PER_USD = 1_000_000;
export const MICROS_PER_CENT = 10_000;

export const micros = z
  .number({ error: 'must be a number of micros' })
  .int({ error: 'must be an integer number of micros' })
  .nonnegative({ error: 'must not be negative' })
  .max(Number.MAX_SAFE_INTEGER, { error: 'must be a safe integer' });

export type Micros = z.infer<typeof micros>;

/** A header carrying micros: digits only, no sign, no exponent, within the safe range. */
export function parseMicrosHeader(value: string | null | undefined): Micros | null | 'invalid' {
  if (value == null) return null;
  const text = value.trim();
  if (!/^\d{1,16}$/.test(text)) return 'invalid';
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : 'invalid';
}
