import type { Context } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import { timingSafeEqual } from 'hono/utils/buffer';

export const ADMIN_COOKIE = 'paywall_admin';
/** The console and the admin API both live under this path; the reader's pages never see the cookie. */
const COOKIE_PATH = '/__paywall/';
export const SESSION_SECONDS = 8 * 3600;

/**
 * The cookie holds `<session id>.<expiry>` signed with HMAC-SHA-256 under a key derived
 * from ADMIN_TOKEN, never the token itself: a stolen cookie expires and does not reveal
 * the token, and changing ADMIN_TOKEN ends every session.
 */
async function sessionKey(adminToken: string): Promise<ArrayBuffer> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(adminToken), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return crypto.subtle.sign('HMAC', key, new TextEncoder().encode('edge-paywall admin console session v1'));
}

/** Whether `presented` is the admin token, compared in constant time (both sides are hashed first). */
export async function isAdminToken(env: Env, presented: string): Promise<boolean> {
  const expected = env.ADMIN_TOKEN;
  if (!expected) return false;
  return timingSafeEqual(expected, presented);
}

export async function startSession(c: Context, adminToken: string): Promise<string> {
  const sessionId = crypto.randomUUID();
  const expires = Math.floor(Date.now() / 1000) + SESSION_SECONDS;
  await setSignedCookie(c, ADMIN_COOKIE, `${sessionId}.${expires}`, await sessionKey(adminToken), {
    httpOnly: true,
    sameSite: 'Strict',
    secure: new URL(c.req.url).protocol === 'https:',
    path: COOKIE_PATH,
    maxAge: SESSION_SECONDS,
  });
  return sessionId;
}

/** The session id of a valid, unexpired console cookie, or null. */
export async function sessionOf(c: Context): Promise<string | null> {
  const adminToken = (c.env as Env).ADMIN_TOKEN;
  if (!adminToken) return null;
  const value = await getSignedCookie(c, await sessionKey(adminToken), ADMIN_COOKIE);
  if (!value) return null;
  const m = /^([0-9a-f-]{36})\.(\d{1,12})$/.exec(value);
  if (!m || Number(m[2]) * 1000 <= Date.now()) return null;
  return m[1]!;
}

export function endSession(c: Context): void {
  deleteCookie(c, ADMIN_COOKIE, { path: COOKIE_PATH, secure: new URL(c.req.url).protocol === 'https:' });
}
