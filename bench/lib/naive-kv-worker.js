// The naive alternative to a wallet Durable Object: the balance is a KV value, read,
// checked, decremented and written back. Nothing makes the read and the write atomic.
/** @typedef {{ BALANCES: KVNamespace; ORIGIN: string; PRICE_MICROS: string }} NaiveEnv */

export default {
  /** @param {Request} request @param {NaiveEnv} env */
  async fetch(request, env) {
    const m = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '');
    if (!m) return new Response('payment required', { status: 402 });
    const key = `balance:${m[1]}`;
    const price = Number(env.PRICE_MICROS);
    const balance = Number((await env.BALANCES.get(key)) ?? 0);
    if (balance < price) return new Response('insufficient balance', { status: 402 });
    await env.BALANCES.put(key, String(balance - price));
    const url = new URL(request.url);
    const origin = await fetch(env.ORIGIN + url.pathname);
    const response = new Response(origin.body, origin);
    response.headers.set('paywall-charged-micros', String(price));
    response.headers.set('cache-control', 'private, no-store');
    return response;
  },
};
