import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { contextStorage } from 'hono/context-storage';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { adminHostOnly } from './admin/admin-host';
import { adminScope } from './admin/admin-scope';
import { requireAdmin } from './admin/require-admin';
import { publisherRoutes } from './publishers/publisher-routes';
import { readerSupportRoutes } from './admin/reader-support-routes';
import { statementRoutes } from './publishers/statement-routes';
import { hostClaimRoutes } from './publishers/host-claims';
import { auditRoutes } from './admin/audit-routes';
import { consoleRoutes } from './admin/console-routes';
import { creditRoutes } from './admin/credit-routes';
import { moveRoutes } from './admin/move-routes';
import { debtRoutes } from './admin/debt-routes';
import { takeBackAdminRoutes } from './admin/take-back-routes';
import { siteRoutes } from './admin/site-routes';
import { usageRoutes } from './admin/usage-routes';
import type { AppEnv } from './http/app-types';
import { limitPerClient } from './http/client-limits';
import { sameOriginWrites } from './http/same-origin-writes';
import { AppError } from './http/app-error';
import type { ErrorBody } from './http/json-errors';
import { log } from './http/log';
import { ErrorPage } from './pages/error-page';
import { corsReads } from './http/cors';
import { adminCrawlerKeyRoutes, readerCrawlerKeyRoutes } from './crawlers/crawler-key-routes';
import { handleView } from './paywall/view-handler';
import { payPerCrawl } from './paywall/pay-per-crawl';
import { x402 } from './paywall/x402';
import { assetRoutes } from './pages/assets';
import { accountRoutes } from './reader/account-routes';
import { readerRoutes } from './reader/reader-routes';
import { stripeWebhook } from './reader/stripe-webhook';
import { topupRoutes } from './reader/topup-routes';
import { withdrawRoutes } from './stripe/withdraw-routes';
import { takeBackRoutes } from './reader/take-back-routes';
import { receiptRoutes } from './reader/receipt-routes';
import { connectRoutes } from './identity/connect-routes';
import { passkeyRoutes } from './identity/passkey-routes';
import { crawlerPageRoutes } from './identity/crawler-page-routes';
import { namedTokenRoutes } from './identity/named-token-routes';
import { walletHostHasNoContent } from './identity/wallet-host-pages';
import { confirmRoutes } from './paywall/confirm-route';

const tooLarge = (limit: string) => (): never => {
  throw new AppError('body_too_large', `The request body must be at most ${limit}.`);
};

const noSuchEndpoint = () => new AppError('not_found', 'No such paywall endpoint.');

/**
 * The request's id in every log line written while it is served: Cloudflare's ray id (which
 * the client also sees, in the response's cf-ray header), or a fresh UUID where there is
 * none (local runs). A client's X-Request-Id is not taken for it, and no header is added.
 */
const rayOrUuid = (c: Context) => {
  const ray = c.req.header('cf-ray');
  return ray && /^[\w-]{1,64}$/.test(ray) ? ray : crypto.randomUUID();
};

const signUpLimit = limitPerClient((env) => env.READER_SIGNUP_LIMITER, 'new readers');
const topUpLimit = limitPerClient((env) => env.TOPUP_LIMITER, 'top-up attempts');

const api = new Hono<AppEnv>()
  // Site documents may carry thousands of rules; everything else is small.
  .use('/admin/sites/*', bodyLimit({ maxSize: 4 * 1024 * 1024, onError: tooLarge('4 MiB') }))
  .use('*', async (c, next) => {
    if (c.req.path.startsWith('/__paywall/api/admin/sites/')) return next();
    return bodyLimit({ maxSize: 16 * 1024, onError: tooLarge('16 KiB') })(c, next);
  })
  .use('*', sameOriginWrites)
  .use('/readers', signUpLimit)
  .use('/topup', topUpLimit)
  .use('/dev/topup', topUpLimit)
  .use(
    '/admin/*',
    limitPerClient((env) => env.ADMIN_LIMITER, 'admin calls'),
  )
  .use('/admin/*', requireAdmin)
  .use('/admin/*', adminScope)
  .route('/admin', siteRoutes)
  .route('/admin', creditRoutes)
  .route('/admin', moveRoutes)
  .route('/admin', usageRoutes)
  .route('/admin', auditRoutes)
  .route('/admin', debtRoutes)
  .route('/admin', takeBackAdminRoutes)
  .route('/admin', publisherRoutes)
  .route('/admin', statementRoutes)
  .route('/admin', hostClaimRoutes)
  .route('/admin', readerSupportRoutes)
  .route('/admin', adminCrawlerKeyRoutes)
  .route('/me/crawler-keys', readerCrawlerKeyRoutes)
  .route('/me/tokens', namedTokenRoutes)
  .route('/', readerRoutes)
  .route('/', topupRoutes)
  .route('/', withdrawRoutes)
  .route('/', takeBackRoutes);

export const app = new Hono<AppEnv>()
  .use(requestId({ headerName: '', generator: rayOrUuid }))
  .use(contextStorage())
  // The paywall's own pages and API only: the publisher's content keeps its own headers,
  // and HSTS is the publisher's call, since it would cover their whole domain.
  .use('/__paywall/*', secureHeaders({ strictTransportSecurity: false, xFrameOptions: 'DENY', overwrite: false }))
  .use('/__paywall/*', adminHostOnly)
  .use('/__paywall/webhooks/*', bodyLimit({ maxSize: 256 * 1024, onError: tooLarge('256 KiB') }))
  // The account page's forms spend the same per-client budgets as the API.
  .use('/__paywall/account/create', signUpLimit)
  .use('/__paywall/account/topup', topUpLimit)
  .use('/__paywall/account/dev-topup', topUpLimit)
  .get('/__paywall/healthz', (c) => c.json({ ok: true }))
  .route('/__paywall/api', api)
  .route('/__paywall/webhooks/stripe', stripeWebhook)
  .route('/__paywall/account/receipts', receiptRoutes)
  .route('/__paywall/account/passkeys', passkeyRoutes)
  .route('/__paywall/account/crawlers', crawlerPageRoutes)
  .route('/__paywall/account', accountRoutes)
  .route('/__paywall/connect', connectRoutes)
  .route('/__paywall/confirm', confirmRoutes)
  .route('/__paywall/admin', consoleRoutes)
  .route('/', assetRoutes)
  .all('/__paywall/*', () => {
    throw noSuchEndpoint();
  })
  .all('*', walletHostHasNoContent, corsReads, payPerCrawl, x402, handleView);

/**
 * The one writer of error answers. An AppError is the contract's JSON `{error, message,
 * field?, issues?}` (with its extra members and headers), or, thrown with `page`, a page
 * that says its message (the route's own, where it set `errorPage`). Malformed JSON that
 * Hono's validator met is `invalid_json`; an answer a middleware built itself (Hono's
 * csrf) goes out as it is; anything else is logged and is a 500 that says nothing more.
 */
app.onError((err, c) => {
  if (err instanceof HTTPException && !(err instanceof AppError) && err.res) return err.res;
  const error = err instanceof AppError ? err : fromUnexpected(err, c);
  for (const [name, value] of Object.entries(error.details.headers ?? {})) c.header(name, value);
  if (error.details.page) {
    const page = c.var.errorPage;
    return page
      ? page(c, error)
      : c.html(ErrorPage({ status: error.status, message: error.message, title: error.details.title }), error.status);
  }
  return errorJson(c, error);
});

app.notFound((c) => errorJson(c, noSuchEndpoint()));

function fromUnexpected(err: Error, c: Context): AppError {
  // Hono's own refusals: malformed JSON or form data seen by its validator (400), and any other 4xx.
  if (err instanceof HTTPException && err.status < 500) {
    const code = err.status === 400 ? 'invalid_json' : 'invalid_request';
    return new AppError(code, err.message || 'Malformed request.', { status: err.status });
  }
  log('error', 'unhandled_error', { method: c.req.method, path: new URL(c.req.url).pathname, error: err });
  return new AppError('internal_error', 'An internal error occurred.');
}

function errorJson(c: Context, error: AppError): Response {
  const { field, issues, extra } = error.details;
  const body: ErrorBody = {
    error: error.code,
    message: error.message,
    ...extra,
    ...(field === undefined ? {} : { field }),
    ...(issues === undefined ? {} : { issues }),
  };
  return c.json(body, error.status);
}
