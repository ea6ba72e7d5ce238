// Secrets are not in wrangler.toml, so `wrangler types` cannot see them.
interface PaywallSecrets {
  TOKEN_SECRET?: string;
  TOKEN_SECRET_PREVIOUS?: string;
  ADMIN_TOKEN?: string;
  STRIPE_SECRET_KEY?: string;
  STRIPE_WEBHOOK_SECRET?: string;
  ORIGIN_SECRET?: string;
  /** Where the Stripe SDK sends API calls, e.g. `http://127.0.0.1:4010`: only tests set it, to a local stand-in. */
  STRIPE_API_BASE?: string;
  /** The one host name that serves the admin console and API, e.g. `admin.paywall.example`; unset, they are served nowhere. */
  ADMIN_HOST?: string;
  /** The readers' home (sign-in, account, top-ups), e.g. `wallet.paywall.example`; unset, each publisher host keeps its own cookie wallet. */
  WALLET_HOST?: string;
  /** The platform's fee on publishers' net revenue, in basis points (0 to 10000); unset is none. */
  PLATFORM_FEE_BPS?: string;
  /** Bench only: milliseconds every call to a wallet waits first, standing in for the network hop to it on Cloudflare. */
  BENCH_WALLET_DELAY_MS?: string;
  /** Bench only: "true" asks the wallet before the origin, as before issue 18, for the before-and-after in one run. */
  BENCH_SERIAL_WALLET?: string;
}
interface Env extends PaywallSecrets {}
declare namespace Cloudflare {
  interface Env extends PaywallSecrets {}
}
