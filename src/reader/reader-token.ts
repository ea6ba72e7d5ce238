/**
 * Tokens, all HMAC-SHA256 signed with `TOKEN_SECRET` (`TOKEN_SECRET_PREVIOUS` keeps
 * tokens signed before a rotation valid until they expire):
 *
 * - reader token `<readerId>.<exp>.<sig>`: the whole wallet, for agents and scripts
 *   (`POST /__paywall/api/readers`); nothing stored per token.
 * - session `s1.<readerId>.<sessionId>.<exp>.<sig>`: a browser signed in on the wallet
 *   host; its signature also covers the wallet host's name, so it is worth nothing on a
 *   publisher's host; the wallet's `sessions` row can revoke it.
 * - spend token `p1.<readerId>.<connectionId>.<exp>.<sig>`: what a publisher host holds
 *   for a connected reader. Its signature also covers the publisher's host name (not
 *   written in the token), so it is worth nothing on any other host; the wallet's
 *   `connections` row can revoke it.
 * - named token `t1.<readerId>.<tokenId>.<exp>.<sig>`: a bearer token the reader made on
 *   the wallet host for a script of their own, with its own daily cap; it pays on every
 *   host and the wallet's `api_tokens` row can revoke it.
 */
const TOKEN_LIFETIME_S = 365 * 86_400;
/** A wallet-host session lasts as long as a reader token; "sign out everywhere" ends it sooner. */
const SESSION_LIFETIME_S = 365 * 86_400;
const GRANT_ID = /^[A-Za-z0-9_-]{22}$/;

/** What a presented token proves. */
export type Credential =
  | { kind: 'reader'; readerId: string }
  | { kind: 'session'; readerId: string; sessionId: string }
  | { kind: 'spend'; readerId: string; connectionId: string; host: string }
  | { kind: 'named'; readerId: string; tokenId: string };
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

/** 128 random bits, for session, connection and code ids. */
export function newGrantId(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(16)));
}

export function isGrantId(id: string): boolean {
  return GRANT_ID.test(id);
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

export async function issueSessionToken(
  env: Env,
  readerId: string,
  sessionId: string,
  walletHost: string,
  now = Date.now(),
): Promise<string> {
  const payload = `s1.${readerId}.${sessionId}.${Math.floor(now / 1000) + SESSION_LIFETIME_S}`;
  return `${payload}.${await signPayload(env, `${payload}.${walletHost}`)}`;
}

export async function issueSpendToken(env: Env, readerId: string, connectionId: string, host: string, now = Date.now()): Promise<string> {
  const payload = `p1.${readerId}.${connectionId}.${Math.floor(now / 1000) + TOKEN_LIFETIME_S}`;
  return `${payload}.${await signPayload(env, `${payload}.${host}`)}`;
}

export async function issueNamedToken(env: Env, readerId: string, tokenId: string, now = Date.now()): Promise<string> {
  const payload = `t1.${readerId}.${tokenId}.${Math.floor(now / 1000) + TOKEN_LIFETIME_S}`;
  return `${payload}.${await signPayload(env, `${payload}.${ANY_HOST}`)}`;
}

/** What a named token's signature covers in place of a host name: it is good on every host. */
const ANY_HOST = '*';

/**
 * What a token proves on `host`, or null when it is malformed, forged, expired, or a
 * spend token of another host. Revocation is the wallet's to check (see Credential).
 */
export async function verifyCredential(env: Env, token: string, host: string, now = Date.now()): Promise<Credential | null> {
  if (token.length > 200) return null;
  const parts = token.split('.');
  if (parts.length === 3) {
    const readerId = await verifyToken(env, token, now);
    return readerId ? { kind: 'reader', readerId } : null;
  }
  if (parts.length !== 5) return null;
  const [kind, readerId, id, exp, sig] = parts as [string, string, string, string, string];
  if ((kind !== 's1' && kind !== 'p1' && kind !== 't1') || !isReaderId(readerId) || !isGrantId(id)) return null;
  if (!/^\d{1,12}$/.test(exp) || Number(exp) * 1000 <= now) return null;
  const payload = `${kind}.${readerId}.${id}.${exp}`;
  if (!(await verifyPayload(env, `${payload}.${kind === 't1' ? ANY_HOST : host}`, sig))) return null;
  if (kind === 't1') return { kind: 'named', readerId, tokenId: id };
  return kind === 's1' ? { kind: 'session', readerId, sessionId: id } : { kind: 'spend', readerId, connectionId: id, host };
}

export function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * 32 bytes in 43 characters leave 2 spare bits in the last one, which atob ignores: only
 * the one spelling with them zero (the last character one of `AEIMQUYcgkosw048`) is the
 * signature, so a signed value has exactly one text (a one-character change never verifies).
 */
function fromBase64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/.test(text)) return null;
  const bin = atob(`${text.replace(/-/g, '+').replace(/_/g, '/')}=`);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
