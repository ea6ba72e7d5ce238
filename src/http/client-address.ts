import type { Context } from 'hono';

/** The client's address as Cloudflare saw it (a client cannot set this header through Cloudflare). */
export function clientOf(c: Context): string {
  return c.req.header('cf-connecting-ip') ?? 'unknown';
}
