import { helpers, jwkToKeyID } from 'web-bot-auth';
import { log } from '../http/log';
import type { Ed25519PublicJwk } from './crawler-links';

/**
 * A crawler's `Signature-Agent` and the key directory it names
 * (draft-meunier-http-message-signatures-directory): a JWKS served as
 * `application/http-message-signatures-directory+json` at
 * `/.well-known/http-message-signatures-directory` of the agent's origin.
 */
export const DIRECTORY_PATH = '/.well-known/http-message-signatures-directory';
const DIRECTORY_TTL_MS = 5 * 60_000;
const DIRECTORY_TIMEOUT_MS = 2_000;
const DIRECTORY_MAX_BYTES = 64 * 1024;
const CACHED_DIRECTORIES = 256;

/**
 * The agent's URL, normalised (no trailing slash, no query), from a Signature-Agent value:
 * an sf-string (`"https://crawler.example"`, as web-bot-auth sends it), a dictionary
 * member (`agent1="https://…"`, later drafts) or a bare URL. Null when it is not an https
 * URL (http only on loopback, for local crawlers and tests).
 */
export function signatureAgentOf(value: string): string | null {
  const m = /^\s*(?:[a-z*][a-z0-9_.*-]*=)?"([^"\\]*)"\s*$/.exec(value) ?? /^\s*([^\s",;]+)\s*$/.exec(value);
  return m ? normaliseAgentUrl(m[1]!) : null;
}

/** An agent's URL as links and policies name it (no trailing slash, no query); null when it is not an https URL (http on loopback). */
export function normaliseAgentUrl(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return null;
  if (url.username || url.password) return null;
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.origin}${path}`;
}

/** Where the directory is: the well-known path of the agent's origin, unless the agent names a path of its own. */
export function directoryUrlOf(agent: string): string {
  return new URL(agent).pathname.length > 1 ? agent : `${agent}${DIRECTORY_PATH}`;
}

/** Ed25519 public keys only: the one algorithm Web Bot Auth asks verifiers to support. */
export function asEd25519PublicJwk(value: unknown): Ed25519PublicJwk | null {
  if (typeof value !== 'object' || value === null) return null;
  const jwk = value as Record<string, unknown>;
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string' || 'd' in jwk) return null;
  if (!/^[A-Za-z0-9_-]{43}$/.test(jwk.x)) return null;
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
}

/** The RFC 7638 thumbprint, which Web Bot Auth uses as the signature's `keyid`. */
export function keyidOf(jwk: Ed25519PublicJwk): Promise<string> {
  return jwkToKeyID(jwk, helpers.WEBCRYPTO_SHA256, helpers.BASE64URL_DECODE);
}

type Cached = { until: number; keys: Map<string, Ed25519PublicJwk> };
const directories = new Map<string, Cached>();

/**
 * The directory's Ed25519 keys by keyid, cached per isolate for five minutes (a failed
 * fetch is not cached, so a crawler that fixes its directory is not locked out). Only
 * the directories of linked agents are ever fetched: an unlinked Signature-Agent is
 * answered without a request, so the header cannot make the Worker fetch arbitrary URLs.
 */
export async function directoryKeys(agent: string, now = Date.now()): Promise<Map<string, Ed25519PublicJwk> | null> {
  const cached = directories.get(agent);
  if (cached && cached.until > now) return cached.keys;
  const keys = await fetchDirectory(directoryUrlOf(agent));
  if (!keys) return null;
  if (directories.size >= CACHED_DIRECTORIES) directories.delete(directories.keys().next().value!);
  directories.set(agent, { until: now + DIRECTORY_TTL_MS, keys });
  return keys;
}

async function fetchDirectory(url: string): Promise<Map<string, Ed25519PublicJwk> | null> {
  try {
    const res = await fetch(url, {
      signal: AbortSignal.timeout(DIRECTORY_TIMEOUT_MS),
      redirect: 'manual',
      headers: { accept: 'application/http-message-signatures-directory+json, application/json' },
    });
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    const text = await res.text();
    if (text.length > DIRECTORY_MAX_BYTES) return null;
    const body = JSON.parse(text) as { keys?: unknown };
    if (!Array.isArray(body.keys)) return null;
    const keys = new Map<string, Ed25519PublicJwk>();
    for (const entry of body.keys.slice(0, 32)) {
      const jwk = asEd25519PublicJwk(entry);
      if (jwk) keys.set(await keyidOf(jwk), jwk);
    }
    return keys;
  } catch (e) {
    log('warn', 'key_directory_fetch_failed', { url, error: e });
    return null;
  }
}
