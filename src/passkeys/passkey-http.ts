import type { Context } from 'hono';
import { setCookie } from 'hono/cookie';
import { hostName } from '../http/hosts';
import { CHALLENGE_LIFETIME_MS } from './challenge-cookie';

/** The relying party is the host the page is on (the wallet host, or the admin host): a passkey made there works nowhere else. */
export function rpIdOf(c: Context): string {
  return hostName(new URL(c.req.url).hostname);
}

/** The sealed challenge, as an HttpOnly cookie scoped to the passkey endpoints that read it back. */
export function setChallengeCookie(c: Context, name: string, path: string, sealed: string): void {
  setCookie(c, name, sealed, { httpOnly: true, secure: true, sameSite: 'Strict', path, maxAge: CHALLENGE_LIFETIME_MS / 1000 });
}

/** The page script's JSON body as an object; anything else (no body, not JSON, an array) is an empty one, which the checks then refuse. */
export async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  try {
    const body: unknown = await c.req.json();
    return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
