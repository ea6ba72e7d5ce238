// Secrets are not in wrangler.toml, so `wrangler types` cannot see them.
interface PaywallSecrets {
  TOKEN_SECRET?: string;
  TOKEN_SECRET_PREVIOUS?: string;
  ADMIN_TOKEN?: string;
  STRIPE_SECRET_KEY?: string;
  STRIPE_WEBHOOK_SECRET?: string;
  ORIGIN_SECRET?: string;
}
interface Env extends PaywallSecrets {}
declare namespace Cloudflare {
  interface Env extends PaywallSecrets {}
}
