import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
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
import { jsonError } from './http/json-errors';
import { AppError } from './http/app-error';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
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

const tooLarge = (limit: string) => (c: Parameters<Parameters<typeof bodyLimit>[0]['onError'] & {}>[0]) =>
  jsonError(c, 413, 'body_too_large', `The request body must be at most ${limit}.`);

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
  .all('/__paywall/*', (c) => jsonError(c, 404, 'not_found', 'No such paywall endpoint.'))
  .all('*', walletHostHasNoContent, corsReads, payPerCrawl, x402, handleView);

app.onError((err, c) => {
  if (err instanceof AppError) {
    const { field, issues, extra, headers } = err.details;
    for (const [name, value] of Object.entries(headers ?? {})) c.header(name, value);
    return jsonError(c, err.status as ContentfulStatusCode, err.code, err.message, {
      ...extra,
      ...(field === undefined ? {} : { field }),
      ...(issues === undefined ? {} : { issues }),
    });
  }
  if (err instanceof HTTPException) {
    if (err.res) return err.res;
    if (err.status === 400) return jsonError(c, 400, 'invalid_json', err.message || 'Malformed request.');
    return jsonError(c, err.status, 'error', err.message);
  }
  console.error('unhandled error', c.req.method, new URL(c.req.url).pathname, err);
  return jsonError(c, 500, 'internal_error', 'An internal error occurred.');
});

app.notFound((c) => jsonError(c, 404, 'not_found', 'No such paywall endpoint.'));
