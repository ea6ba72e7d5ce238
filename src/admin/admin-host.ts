import { createMiddleware } from 'hono/factory';
import { AppError } from '../http/app-error';
import type { AppEnv } from '../http/app-types';
import { hostKindOf } from '../http/hosts';

/** The console (`/__paywall/admin…`) and the admin API (`/__paywall/api/admin…`). */
const ADMIN_PATH = /^\/__paywall\/(api\/)?admin(\/|$)/;

/** Whether this request arrived on ADMIN_HOST (the port is ignored). With ADMIN_HOST unset, no host is. */
export function onAdminHost(env: Env, url: string): boolean {
  return hostKindOf(env, url) === 'admin';
}

/**
 * The console and the admin API exist only on ADMIN_HOST. On a publisher's host (or the
 * DEFAULT_SITE fallback) they answer exactly as any unknown paywall path does, so no page
 * on a publisher's domain, script or not, can reach an admin's session or the API.
 */
export const adminHostOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (ADMIN_PATH.test(c.req.path) && !onAdminHost(c.env, c.req.url)) {
    throw new AppError('not_found', 'No such paywall endpoint.');
  }
  return next();
});
