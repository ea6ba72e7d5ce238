import { bearerAuth } from 'hono/bearer-auth';
import { AppError } from '../http/app-error';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../http/app-types';
import { apiKeyDigest, looksLikeApiKey } from '../publishers/api-key';
import { publisherRegistry } from '../publishers/publisher-stub';
import type { AdminActor } from './admin-actor';
import { consoleActorOf, isAdminToken } from './admin-session';
import { slowDownWrongToken } from './sign-in-throttle';

const UNSAFE = /^(POST|PUT|PATCH|DELETE)$/;

/**
 * Every admin call: `Authorization: Bearer <ADMIN_TOKEN>` (the operator's API client), a
 * publisher's API key (looked up by its digest in the publisher registry on every call,
 * so a revoked key fails at once), or the console's session cookie (a signed-in
 * browser). With no ADMIN_TOKEN set, nobody is an admin. The admin token is compared in
 * constant time; a wrong token or key is answered slowly. A console cookie of one of a
 * publisher's people makes them that publisher's actor, scoped as its keys are.
 *
 * The cookie is SameSite=Strict, so a browser never sends it with a request started by
 * another site; a change made with the cookie must also come from this very origin
 * (Origin or Sec-Fetch-Site), whatever its content type.
 */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  if (!expected) throw new AppError('admin_disabled', 'Admin calls are refused: ADMIN_TOKEN is not set on this worker.');

  if (!c.req.header('authorization')) {
    const actor = await consoleActorOf(c);
    if (actor) {
      if (UNSAFE.test(c.req.method) && !sameOrigin(c.req.raw)) {
        throw new AppError('cross_site_request', 'A change made with the console cookie must come from the console itself.');
      }
      c.set('admin', actor);
      return next();
    }
  }

  let actor: AdminActor | null = null;
  return bearerAuth<AppEnv>({
    verifyToken: async (token, c) => {
      if (await isAdminToken(c.env, token)) actor = { via: 'api' };
      else if (looksLikeApiKey(token)) {
        const holder = await publisherRegistry(c.env).authenticate(await apiKeyDigest(token));
        if (holder) actor = { via: 'publisher_key', ...holder };
      }
      return actor !== null;
    },
    // bearerAuth reads the header; its refusals are ours, with the WWW-Authenticate it would send.
    noAuthenticationHeader: { message: () => unauthorized(NO_TOKEN, 'Bearer realm=""') },
    // Hono answers a malformed header with 400; to a caller it is simply not authorised.
    invalidAuthenticationHeader: { message: () => unauthorized(NO_TOKEN, 'Bearer error="invalid_request"') },
    invalidToken: {
      message: async (c) => {
        await slowDownWrongToken(c.env as Env);
        return unauthorized('Wrong admin token, or an API key that is not (or no longer) valid.', 'Bearer error="invalid_token"');
      },
    },
  })(c, async () => {
    c.set('admin', actor!);
    await next();
  });
});

const NO_TOKEN = 'Authorization: Bearer <admin token or API key> is required.';

function unauthorized(message: string, challenge: string): never {
  throw new AppError('unauthorized', message, { headers: { 'WWW-Authenticate': challenge } });
}

function sameOrigin(req: Request): boolean {
  const site = req.headers.get('sec-fetch-site');
  if (site !== null) return site === 'same-origin';
  return req.headers.get('origin') === new URL(req.url).origin;
}
