import { createMiddleware } from 'hono/factory';
import type { Context } from 'hono';

/**
 * CORS for what browser agents read: priced paths (their 402s and paid answers) and the
 * price manifest. Any origin may read them, never with credentials: the answer is
 * `Access-Control-Allow-Origin: *` without `Allow-Credentials`, so a browser refuses to
 * send or expose a reader's cookie across origins, and a cross-origin script pays only
 * with a token it holds itself (Authorization or PAYMENT-SIGNATURE). The Worker itself
 * answers the preflight, which never reaches the origin and is never charged.
 */
const EXPOSED = [
  'PAYMENT-REQUIRED',
  'PAYMENT-RESPONSE',
  'Paywall-Price-Micros',
  'Paywall-Charged-Micros',
  'Paywall-Balance-Micros',
  'Paywall-Receipt',
  'Idempotency-Replayed',
  'crawler-price',
  'crawler-charged',
  'crawler-error',
  'ETag',
].join(', ');

const ALLOWED_HEADERS = [
  'Authorization',
  'PAYMENT-SIGNATURE',
  'Paywall-Max-Price-Micros',
  'Idempotency-Key',
  'crawler-max-price',
  'crawler-exact-price',
  'Signature',
  'Signature-Input',
  'Signature-Agent',
  'Accept',
  'Content-Type',
  'If-None-Match',
  // @x402/fetch sets it on its paying request (as a hint to the server), so its preflight asks for it.
  'Access-Control-Expose-Headers',
].join(', ');

export function isPreflight(request: Request): boolean {
  return request.method === 'OPTIONS' && request.headers.has('origin') && request.headers.has('access-control-request-method');
}

export function preflight(c: Context): Response {
  return c.body(null, 204, {
    'access-control-allow-origin': '*',
    'access-control-allow-methods': 'GET, HEAD',
    'access-control-allow-headers': ALLOWED_HEADERS,
    'access-control-max-age': '600',
    'cache-control': 'no-store',
  });
}

/** Set to true by a view whose answer browsers of any origin may read (a priced path, the manifest). */
export type CorsVariables = { crossOriginReads: boolean | undefined };

/** Middleware: adds the CORS headers to the answer of a view marked readable. */
export const corsReads = createMiddleware<{ Variables: CorsVariables }>(async (c, next) => {
  await next();
  if (c.var.crossOriginReads !== true) return;
  let headers = c.res.headers;
  try {
    headers.set('access-control-allow-origin', '*');
  } catch {
    c.res = new Response(c.res.body, c.res);
    headers = c.res.headers;
    headers.set('access-control-allow-origin', '*');
  }
  headers.set('access-control-expose-headers', EXPOSED);
  headers.delete('access-control-allow-credentials');
});

/**
 * Whether the request was started by a page of another origin without navigating to us
 * (a fetch, an image, a script). Its cookie is then not the reader's say-so: a
 * SameSite=Lax cookie still rides along from a sibling subdomain, so it is ignored.
 * A top-level navigation (a reader following a link) keeps its cookie.
 */
export function isCrossOriginSubrequest(request: Request): boolean {
  const mode = request.headers.get('sec-fetch-mode');
  if (mode === 'navigate') return false;
  const site = request.headers.get('sec-fetch-site');
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = request.headers.get('origin');
  return origin !== null && origin !== new URL(request.url).origin;
}
