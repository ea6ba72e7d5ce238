/**
 * Reader tokens: `<readerId>.<expiresAtSeconds>.<hmac>`, HMAC-SHA256 over the first two
 * parts. The wallet is found by readerId, so a token is all a reader needs and nothing
 * is stored per session. `TOKEN_SECRET_PREVIOUS` keeps tokens signed before a rotation
 * valid until they expire.
 */
const TOKEN_LIFETIME_S = 365 * 86_400;
const READER_ID = /^r_[A-Za-z0-9_-]{22}$/;

const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    keys.set(secret, key);
  }
  return key;
}

export function isReaderId(id: string): boolean {
  return READER_ID.test(id);
}

export function newReaderId(): string {
  return `r_${base64url(crypto.getRandomValues(new Uint8Array(16)))}`;
}

export function signingSecretsConfigured(env: Env): boolean {
  return typeof env.TOKEN_SECRET === 'string' && env.TOKEN_SECRET.length >= 16;
}

export async function issueToken(env: Env, readerId: string, now = Date.now()): Promise<string> {
  if (!signingSecretsConfigured(env)) throw new Error('TOKEN_SECRET is not configured');
  const payload = `${readerId}.${Math.floor(now / 1000) + TOKEN_LIFETIME_S}`;
  return `${payload}.${await signPayload(env, payload)}`;
}

/**
 * HMAC-SHA256 of `payload` under TOKEN_SECRET, base64url. Shared with the other signed
 * values (src/passkeys/challenge-cookie.ts), which keep a shape no token can have.
 */
export async function signPayload(env: Env, payload: string): Promise<string> {
  if (!signingSecretsConfigured(env)) throw new Error('TOKEN_SECRET is not configured');
  const sig = await crypto.subtle.sign('HMAC', await hmacKey(env.TOKEN_SECRET!), new TextEncoder().encode(payload));
  return base64url(new Uint8Array(sig));
}

/** Whether `sig` is `signPayload(payload)` under TOKEN_SECRET or TOKEN_SECRET_PREVIOUS. */
export async function verifyPayload(env: Env, payload: string, sig: string): Promise<boolean> {
  const signature = fromBase64url(sig);
  if (!signature) return false;
  const data = new TextEncoder().encode(payload);
  for (const secret of [env.TOKEN_SECRET, env.TOKEN_SECRET_PREVIOUS]) {
    if (!secret) continue;
    // crypto.subtle.verify compares in constant time.
    if (await crypto.subtle.verify('HMAC', await hmacKey(secret), signature, data)) return true;
  }
  return false;
}

/** The reader a token names, or null when it is malformed, forged, tampered with or expired. */
export async function verifyToken(env: Env, token: string, now = Date.now()): Promise<string | null> {
  if (token.length > 200) return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [readerId, exp, sig] = parts as [string, string, string];
  if (!isReaderId(readerId) || !/^\d{1,12}$/.test(exp) || Number(exp) * 1000 <= now) return null;
  return (await verifyPayload(env, `${readerId}.${exp}`, sig)) ? readerId : null;
}

export function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) return null;
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '=');
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
