import { Hono } from 'hono';
import type { AppEnv } from '../http/app-types';
import { jsonError } from '../http/json-errors';
import { HOST } from './site-routes';
import { recentTakeBacks } from './take-back-stats';

/** `GET /__paywall/api/admin/take-backs/:host`: views readers took back in the last 30 days, with counts and reasons per path. */
export const takeBackAdminRoutes = new Hono<AppEnv>().get('/take-backs/:host', async (c) => {
  const host = c.req.param('host');
  if (!HOST.test(host)) return jsonError(c, 400, 'invalid_request', 'host: a lower-case host name', { field: 'host' });
  return c.json({ host, ...(await recentTakeBacks(c.env, host)) });
});
