import type { Context } from 'hono';
import type { AdminActor } from '../admin/admin-actor';
import type { AppError } from './app-error';
import type { PayPerCrawlVariables } from '../paywall/pay-per-crawl';
import type { CorsVariables } from './cors';
import type { ViewOutcomeVariables } from '../paywall/view-outcome';
import type { X402Variables } from '../paywall/x402';

/** How a route that serves pages shows an AppError thrown with `page` (the console's own layout, say). */
export type ErrorPage = (c: Context, error: AppError) => Response | Promise<Response>;

/**
 * The app's bindings, and what middleware leaves on a request's context for the handlers
 * after it: the reader and the admin (the API's auth), the request's id, how a page route
 * shows its errors, and on a view, whether browsers of any origin may read it, what the
 * pay per crawl and x402 middlewares read of the request, and the outcome they report.
 */
export type AppEnv = {
  Bindings: Env;
  Variables: { readerId: string; admin: AdminActor; requestId: string; errorPage?: ErrorPage } & CorsVariables &
    PayPerCrawlVariables &
    X402Variables &
    ViewOutcomeVariables;
};
