/**
 * Publisher API keys: `pk_` and 32 random bytes (base64url). Only the SHA-256 digest is
 * stored, so a copy of the registry's storage holds no usable key; a key this random
 * needs no salt or slow hash.
 */
const PREFIX = 'pk_';
const KEY = /^pk_[A-Za-z0-9_-]{43}$/;

export function newApiKey(): string {
  return PREFIX + bytesToBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Whether a bearer token is shaped like a publisher key (anything else is not looked up). */
export function looksLikeApiKey(token: string): boolean {
  return KEY.test(token);
}

export async function apiKeyDigest(key: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** A short random id with a prefix saying what it names, e.g. `pub_…`, `key_…`. */
export function randomId(prefix: string): string {
  return prefix + bytesToBase64Url(crypto.getRandomValues(new Uint8Array(12)));
}

function bytesToBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}
