import { bearerAuth } from 'hono/bearer-auth';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../http/app-types';
import { jsonError } from '../http/json-errors';

/**
 * `Authorization: Bearer <ADMIN_TOKEN>` on every admin call. With no ADMIN_TOKEN set,
 * nobody is an admin. Hono's bearerAuth compares in constant time.
 */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  if (!expected) return jsonError(c, 401, 'admin_disabled', 'Admin calls are refused: ADMIN_TOKEN is not set on this worker.');
  return bearerAuth<AppEnv>({
    token: expected,
    noAuthenticationHeader: { message: { error: 'unauthorized', message: 'Authorization: Bearer <admin token> is required.' } },
    // Hono answers a malformed header with 400; to a caller it is simply not authorised.
    invalidAuthenticationHeader: {
      message: (c) => c.json({ error: 'unauthorized', message: 'Authorization: Bearer <admin token> is required.' }, 401),
    },
    invalidToken: { message: { error: 'unauthorized', message: 'Wrong admin token.' } },
  })(c, next);
});
