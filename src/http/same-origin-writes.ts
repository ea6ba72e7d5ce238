import { createMiddleware } from 'hono/factory';
import { AppError } from './app-error';

/**
 * A browser says where a request comes from (Sec-Fetch-Site, Origin); a write to the
 * paywall API made by another site's page is refused, so that a page elsewhere cannot,
 * say, swap the reader's token cookie for a new account's with a form post. Hono's
 * csrf() would also refuse clients that send neither header (curl, agents, servers),
 * which the API serves, so this is the same check with that case allowed.
 */
export const sameOriginWrites = createMiddleware(async (c, next) => {
  if (/^(GET|HEAD|OPTIONS)$/.test(c.req.method)) return next();
  const fetchSite = c.req.header('sec-fetch-site');
  const origin = c.req.header('origin');
  const allowed =
    fetchSite === 'same-origin' ||
    (origin !== undefined ? origin === new URL(c.req.url).origin : fetchSite === undefined || fetchSite === 'none');
  if (!allowed) throw new AppError('cross_site_request', 'Writes to the paywall API must come from a page of this site.');
  await next();
});
