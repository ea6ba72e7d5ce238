import type { AdminActor } from '../admin/admin-actor';
import type { PayPerCrawlVariables } from '../paywall/pay-per-crawl';
import type { CorsVariables } from './cors';
import type { ViewOutcomeVariables } from '../paywall/view-outcome';
import type { X402Variables } from '../paywall/x402';

/**
 * The app's bindings, and what middleware leaves on a request's context for the handlers
 * after it: the reader and the admin (the API's auth), and on a view, whether browsers of
 * any origin may read it, what the pay per crawl and x402 middlewares read of the request,
 * and the outcome they report.
 */
export type AppEnv = {
  Bindings: Env;
  Variables: { readerId: string; admin: AdminActor } & CorsVariables & PayPerCrawlVariables & X402Variables & ViewOutcomeVariables;
};
