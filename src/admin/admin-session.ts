import type { Context } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import { timingSafeEqual } from 'hono/utils/buffer';
import { publisherRegistry } from '../publishers/publisher-stub';
import type { AdminActor } from './admin-actor';

export const ADMIN_COOKIE = 'paywall_admin';
/** The console and the admin API both live under this path; the reader's pages never see the cookie. */
const COOKIE_PATH = '/__paywall/';
export const SESSION_SECONDS = 8 * 3600;

/**
 * The cookie holds `<session id>.<expiry>` (the operator, signed in with ADMIN_TOKEN) or
 * `<session id>.<expiry>.<person id>` (one of a publisher's people, signed in with a
 * passkey), signed with HMAC-SHA-256 under a key derived from ADMIN_TOKEN, never the
 * token itself: a stolen cookie expires and does not reveal the token, changing
 * ADMIN_TOKEN ends every session, and a person's cookie cannot be edited into the
 * operator's (the signature covers the person id).
 */
async function sessionKey(adminToken: string): Promise<ArrayBuffer> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(adminToken), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  return crypto.subtle.sign('HMAC', key, new TextEncoder().encode('edge-paywall admin console session v1'));
}

/** Whether `presented` is the admin token, compared in constant time (both sides are hashed first). */
export async function isAdminToken(env: Env, presented: string): Promise<boolean> {
  const expected = env.ADMIN_TOKEN;
  if (!expected) return false;
  return timingSafeEqual(expected, presented);
}

/** Starts a console session: the operator's, or with `personId` one of a publisher's people. */
export async function startSession(c: Context, adminToken: string, personId?: string): Promise<string> {
  const sessionId = crypto.randomUUID();
  const expires = Math.floor(Date.now() / 1000) + SESSION_SECONDS;
  await setSignedCookie(c, ADMIN_COOKIE, `${sessionId}.${expires}${personId ? `.${personId}` : ''}`, await sessionKey(adminToken), {
    httpOnly: true,
    sameSite: 'Strict',
    secure: new URL(c.req.url).protocol === 'https:',
    path: COOKIE_PATH,
    maxAge: SESSION_SECONDS,
  });
  return sessionId;
}

export type ConsoleSession = { sessionId: string; personId?: string };

/** The session of a valid, unexpired console cookie (with the person, if it is not the operator's), or null. */
export async function sessionOf(c: Context): Promise<ConsoleSession | null> {
  const adminToken = (c.env as Env).ADMIN_TOKEN;
  if (!adminToken) return null;
  const value = await getSignedCookie(c, await sessionKey(adminToken), ADMIN_COOKIE);
  if (!value) return null;
  const m = /^([0-9a-f-]{36})\.(\d{1,12})(?:\.(per_[A-Za-z0-9_-]{16}))?$/.exec(value);
  if (!m || Number(m[2]) * 1000 <= Date.now()) return null;
  return m[3] ? { sessionId: m[1]!, personId: m[3] } : { sessionId: m[1]! };
}

export function endSession(c: Context): void {
  deleteCookie(c, ADMIN_COOKIE, { path: COOKIE_PATH, secure: new URL(c.req.url).protocol === 'https:' });
}

/**
 * The console actor of a request's cookie: the operator, or a person still one of their
 * publisher's people (looked up on every request, with the hosts the publisher owns now,
 * so a person removed or a host moved is felt at once); null when there is none.
 */
export async function consoleActorOf(c: Context): Promise<AdminActor | null> {
  const session = await sessionOf(c);
  if (!session) return null;
  if (!session.personId) return { via: 'console', sessionId: session.sessionId };
  const holder = await publisherRegistry(c.env as Env).personHolder(session.personId);
  return holder ? { via: 'person', sessionId: session.sessionId, ...holder } : null;
}
