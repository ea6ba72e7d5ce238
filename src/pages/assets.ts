import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { STYLESHEET, STYLESHEET_PATH } from './stylesheet';

/** The pages' stylesheet; the path carries a version, so it may be cached for long. */
export const assetRoutes = new Hono().get(STYLESHEET_PATH, secureHeaders({ strictTransportSecurity: false }), (c) => {
  c.header('content-type', 'text/css; charset=utf-8');
  c.header('cache-control', 'public, max-age=86400');
  return c.body(STYLESHEET);
});
