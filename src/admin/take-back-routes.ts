import { Hono } from 'hono';
import { AppError } from '../http/app-error';
import type { AppEnv } from '../http/app-types';
import { HOST } from './site-routes';
import { recentTakeBacks } from './take-back-stats';

/** `GET /__paywall/api/admin/take-backs/:host`: views readers took back in the last 30 days, with counts and reasons per path. */
export const takeBackAdminRoutes = new Hono<AppEnv>().get('/take-backs/:host', async (c) => {
  const host = c.req.param('host');
  if (!HOST.test(host)) throw new AppError('invalid_request', 'host: a lower-case host name', { field: 'host' });
  return c.json({ host, ...(await recentTakeBacks(c.env, host)) });
});
