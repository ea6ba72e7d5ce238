import type Stripe from 'stripe';

/**
 * The SDK is loaded on first use: it is most of the Worker's code, and a view, the hot
 * path, never needs it, so it stays off the start-up of every new isolate.
 */
export const loadStripe = (): Promise<typeof Stripe> => import('stripe').then((m) => m.default);

export function stripeConfigured(env: Env): boolean {
  return Boolean(env.STRIPE_SECRET_KEY);
}

const clients = new Map<string, Stripe>();

/**
 * The Stripe SDK as the Worker uses it: fetch for HTTP. Null while STRIPE_SECRET_KEY is
 * unset. `STRIPE_API_BASE` points it elsewhere (tests use a local stand-in); unset, it
 * talks to api.stripe.com.
 */
export async function stripeFor(env: Env): Promise<Stripe | null> {
  const key = env.STRIPE_SECRET_KEY;
  if (!key) return null;
  const base = env.STRIPE_API_BASE ?? '';
  const cacheKey = `${key}\n${base}`;
  let client = clients.get(cacheKey);
  if (!client) {
    const StripeSdk = await loadStripe();
    const api = base ? new URL(base) : null;
    client = new StripeSdk(key, {
      httpClient: StripeSdk.createFetchHttpClient(),
      maxNetworkRetries: 2,
      timeout: 10_000,
      telemetry: false,
      ...(api
        ? {
            host: api.hostname,
            port: api.port || (api.protocol === 'http:' ? 80 : 443),
            protocol: api.protocol === 'http:' ? 'http' : 'https',
          }
        : {}),
    });
    clients.set(cacheKey, client);
  }
  return client;
}

type CryptoProvider = ReturnType<typeof Stripe.createSubtleCryptoProvider>;
let subtleProvider: CryptoProvider | null = null;

/** Web Crypto for webhook signatures (Node's crypto is not what a Worker has). */
export async function webhookCrypto(): Promise<CryptoProvider> {
  subtleProvider ??= (await loadStripe()).createSubtleCryptoProvider();
  return subtleProvider;
}
