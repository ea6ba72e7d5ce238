import { bearerAuth } from 'hono/bearer-auth';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../http/app-types';
import { jsonError } from '../http/json-errors';
import { sessionOf } from './admin-session';
import { slowDownWrongToken } from './sign-in-throttle';

const UNSAFE = /^(POST|PUT|PATCH|DELETE)$/;

/**
 * Every admin call: `Authorization: Bearer <ADMIN_TOKEN>` (an API client), or the
 * console's session cookie (a signed-in browser). With no ADMIN_TOKEN set, nobody is an
 * admin. Hono's bearerAuth compares in constant time; a wrong token is answered slowly.
 *
 * The cookie is SameSite=Strict, so a browser never sends it with a request started by
 * another site; a change made with the cookie must also come from this very origin
 * (Origin or Sec-Fetch-Site), whatever its content type.
 */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  if (!expected) return jsonError(c, 401, 'admin_disabled', 'Admin calls are refused: ADMIN_TOKEN is not set on this worker.');

  if (!c.req.header('authorization')) {
    const sessionId = await sessionOf(c);
    if (sessionId) {
      if (UNSAFE.test(c.req.method) && !sameOrigin(c.req.raw)) {
        return jsonError(c, 403, 'cross_site_request', 'A change made with the console cookie must come from the console itself.');
      }
      c.set('admin', { via: 'console', sessionId });
      return next();
    }
  }

  return bearerAuth<AppEnv>({
    token: expected,
    noAuthenticationHeader: { message: { error: 'unauthorized', message: 'Authorization: Bearer <admin token> is required.' } },
    // Hono answers a malformed header with 400; to a caller it is simply not authorised.
    invalidAuthenticationHeader: {
      message: (c) => c.json({ error: 'unauthorized', message: 'Authorization: Bearer <admin token> is required.' }, 401),
    },
    invalidToken: {
      message: async (c) => {
        await slowDownWrongToken(c.env as Env);
        return { error: 'unauthorized', message: 'Wrong admin token.' };
      },
    },
  })(c, async () => {
    c.set('admin', { via: 'api' });
    await next();
  });
});

function sameOrigin(req: Request): boolean {
  const site = req.headers.get('sec-fetch-site');
  if (site !== null) return site === 'same-origin';
  return req.headers.get('origin') === new URL(req.url).origin;
}
