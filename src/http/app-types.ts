import type { Context } from 'hono';
import type { AdminActor } from '../admin/admin-actor';
import type { AppError } from './app-error';

/** How a route that serves pages shows an AppError thrown with `page` (the console's own layout, say). */
export type ErrorPage = (c: Context, error: AppError) => Response | Promise<Response>;

export type AppEnv = {
  Bindings: Env;
  Variables: { readerId: string; admin: AdminActor; requestId: string; errorPage?: ErrorPage };
};
