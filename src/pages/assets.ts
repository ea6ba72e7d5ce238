import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { PASSKEYS_SCRIPT, PASSKEYS_SCRIPT_PATH } from './passkeys-script';
import { STYLESHEET, STYLESHEET_PATH } from './stylesheet';
import { LOCAL_TIMES_SCRIPT, LOCAL_TIMES_SCRIPT_PATH } from './local-times-script';

/** The pages' stylesheet and script; their paths carry a version, so they may be cached for long. */
export const assetRoutes = new Hono()
  .get(STYLESHEET_PATH, secureHeaders({ strictTransportSecurity: false }), (c) => {
    c.header('content-type', 'text/css; charset=utf-8');
    c.header('cache-control', 'public, max-age=86400');
    return c.body(STYLESHEET);
  })
  .get(PASSKEYS_SCRIPT_PATH, secureHeaders({ strictTransportSecurity: false }), (c) => {
    c.header('content-type', 'text/javascript; charset=utf-8');
    c.header('cache-control', 'public, max-age=86400');
    return c.body(PASSKEYS_SCRIPT);
  })
  .get(LOCAL_TIMES_SCRIPT_PATH, secureHeaders({ strictTransportSecurity: false }), (c) => {
    c.header('content-type', 'text/javascript; charset=utf-8');
    c.header('cache-control', 'public, max-age=86400');
    return c.body(LOCAL_TIMES_SCRIPT);
  });
