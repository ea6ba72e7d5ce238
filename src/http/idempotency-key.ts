import type { Context } from 'hono';
import { AppError } from './app-error';

/**
 * The request's Idempotency-Key: null when absent; one that is not 1 to 255 printable ASCII
 * characters is a 400 naming the header (nothing is done for it).
 */
export function idempotencyKeyOf(c: Context): string | null {
  const key = c.req.header('idempotency-key');
  if (key === undefined) return null;
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new AppError('invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 printable ASCII characters.', {
      field: 'Idempotency-Key',
    });
  }
  return key;
}
