import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../http/app-types';
import { hostName } from '../http/hosts';
import { grantOf, liveCredential, READER_COOKIE, SESSION_COOKIE, walletOwnerOf } from '../reader/authenticate';
import { issueSessionToken, issueSpendToken } from '../reader/reader-token';
import { walletOf } from '../wallet/wallet-stub';

const YEAR_S = 365 * 86_400;

/**
 * Signs this browser in to the wallet host: a new session row in the wallet, and a
 * host-only `__Host-` cookie naming it. False when the wallet does not exist.
 */
export async function signIn(c: Context<AppEnv>, readerId: string): Promise<boolean> {
  const started = await walletOf(c.env, readerId).startSession();
  if (!started.ok) return false;
  const token = await issueSessionToken(c.env, readerId, started.sessionId, hostName(new URL(c.req.url).hostname));
  // `__Host-` needs Secure; browsers take Secure cookies from http://*.localhost too.
  setCookie(c, SESSION_COOKIE, token, { httpOnly: true, secure: true, sameSite: 'Lax', path: '/', maxAge: YEAR_S });
  return true;
}

/** Ends this browser's session (its row is revoked, so a copied cookie dies with it). */
export async function signOut(c: Context<AppEnv>): Promise<void> {
  const presented = await liveCredential(c);
  const grant = presented ? grantOf(presented.credential) : undefined;
  if (presented && grant?.kind === 'session') await walletOf(c.env, presented.credential.readerId).endSession(grant.id);
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: true });
}

/** The reader this request speaks for as the wallet's owner (the session, or the reader token), or null. */
export function signedInReader(c: Context<AppEnv>): Promise<string | null> {
  return walletOwnerOf(c);
}

/** The publisher host's cookie: a spend token for this host's connection. */
export async function setSpendCookie(c: Context<AppEnv>, readerId: string, connectionId: string, host: string): Promise<void> {
  const token = await issueSpendToken(c.env, readerId, connectionId, host);
  setCookie(c, READER_COOKIE, token, {
    httpOnly: true,
    secure: new URL(c.req.url).protocol === 'https:',
    sameSite: 'Lax',
    path: '/',
    maxAge: YEAR_S,
  });
}
