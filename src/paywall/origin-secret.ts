/**
 * The `Paywall-Origin-Secret` a site's origin receives: an HMAC of the site's host under
 * `ORIGIN_SECRET`, so each publisher's origin checks its own value and a publisher who
 * reads it from their own traffic learns nothing that opens another publisher's origin.
 */
const derived = new Map<string, Promise<string>>();

export function originSecretFor(env: Env, host: string): Promise<string> | null {
  const secret = env.ORIGIN_SECRET;
  if (!secret) return null;
  const cacheKey = `${secret.length}:${secret}\n${host}`;
  let value = derived.get(cacheKey);
  if (!value) {
    value = derive(secret, host);
    derived.set(cacheKey, value);
  }
  return value;
}

async function derive(secret: string, host: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`paywall-origin-secret:v1:${host}`)));
  return btoa(String.fromCharCode(...mac))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}
