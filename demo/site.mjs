/** The demo publisher's site document: free pages, articles at a fifth of a cent, premium at a cent. */
export function demoSite(originUrl) {
  return {
    host: 'demo.localhost',
    origin: originUrl,
    rules: [
      { pattern: '/articles/:slug', priceMicros: 2000, reviewWindowSeconds: 86400 },
      { pattern: '/premium/*', priceMicros: 10000 },
      { pattern: '/*', priceMicros: 0 },
    ],
  };
}

/** The second demo publisher: its own origin and articles, paid from the same wallets. */
export function newsSite(originUrl) {
  return {
    host: 'news.localhost',
    origin: originUrl,
    rules: [
      { pattern: '/stories/:slug', priceMicros: 3000, reviewWindowSeconds: 86400 },
      { pattern: '/*', priceMicros: 0 },
    ],
  };
}

/** The vars of the local demo, as CONTRACT.md lists them. */
export const DEMO_VARS = {
  DEFAULT_SITE: 'demo.localhost',
  DEV_TOPUP: 'true',
  ADMIN_TOKEN: 'demo-admin-token',
  ADMIN_HOST: 'admin.localhost',
  WALLET_HOST: 'wallet.localhost',
  PLATFORM_FEE_BPS: '1000',
  STRIPE_WEBHOOK_SECRET: 'whsec_demo',
  TOKEN_SECRET: 'demo-token-secret-not-for-production',
  USAGE_FLUSH_SECONDS: '2',
};
