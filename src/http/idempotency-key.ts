import type { Context } from 'hono';

/** The request's Idempotency-Key: null when absent, 'invalid' when not 1–255 printable ASCII characters. */
export function idempotencyKeyOf(c: Context): string | null | 'invalid' {
  const key = c.req.header('idempotency-key');
  if (key === undefined) return null;
  return /^[\x21-\x7e]{1,255}$/.test(key) ? key : 'invalid';
}
