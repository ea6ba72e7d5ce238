import Stripe from 'stripe';

const clients = new Map<string, Stripe>();

/**
 * The Stripe SDK as the Worker uses it: fetch for HTTP, Web Crypto for signatures.
 * Null while STRIPE_SECRET_KEY is unset. `STRIPE_API_BASE` points it elsewhere
 * (tests use a local stand-in); unset, it talks to api.stripe.com.
 */
export function stripeFor(env: Env): Stripe | null {
  const key = env.STRIPE_SECRET_KEY;
  if (!key) return null;
  const base = env.STRIPE_API_BASE ?? '';
  const cacheKey = `${key}\n${base}`;
  let client = clients.get(cacheKey);
  if (!client) {
    const api = base ? new URL(base) : null;
    client = new Stripe(key, {
      httpClient: Stripe.createFetchHttpClient(),
      maxNetworkRetries: 2,
      timeout: 10_000,
      telemetry: false,
      ...(api ? { host: api.hostname, port: api.port || (api.protocol === 'http:' ? 80 : 443), protocol: api.protocol === 'http:' ? 'http' : 'https' } : {}),
    });
    clients.set(cacheKey, client);
  }
  return client;
}

export const webhookCrypto = Stripe.createSubtleCryptoProvider();
