import { z } from 'zod';

/** A named token's name, as the reader types it: shown back to them on the wallet host. */
export const tokenName = z
  .string()
  .trim()
  .min(1)
  .max(60)
  .regex(/^[^\p{Cc}\p{Cf}]*$/u, 'printable characters only');
