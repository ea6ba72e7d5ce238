import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AppEnv } from '../http/app-types';
import { verifyToken } from './reader-token';

export const READER_COOKIE = 'paywall_token';

/** The token a request carries, bearer first, then the cookie. */
export function presentedToken(c: Context): string | null {
  const auth = c.req.header('authorization');
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1]! : null;
  }
  return getCookie(c, READER_COOKIE) ?? null;
}

/** The authenticated reader's id, or null for no token or a bad one. */
export async function readerOf(c: Context<AppEnv>): Promise<string | null> {
  const token = presentedToken(c);
  return token ? verifyToken(c.env, token) : null;
}
