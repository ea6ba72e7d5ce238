import type { Context } from 'hono';
import { setCookie } from 'hono/cookie';
import type { AppEnv } from '../http/app-types';
import { walletOf } from '../wallet/wallet-stub';
import { READER_COOKIE } from './authenticate';
import { issueToken, newReaderId, signingSecretsConfigured } from './reader-token';

/**
 * A new reader: their wallet is opened before the token exists, so every token names a
 * wallet. The token is also set as an HttpOnly, SameSite=Lax cookie, which a browser
 * sends when following a link to an article but not with a cross-site form post.
 * Null while TOKEN_SECRET is unset.
 */
export async function createReader(c: Context<AppEnv>): Promise<{ readerId: string; token: string } | null> {
  if (!signingSecretsConfigured(c.env)) return null;
  const readerId = newReaderId();
  await walletOf(c.env, readerId).open(readerId);
  const token = await issueToken(c.env, readerId);
  setCookie(c, READER_COOKIE, token, {
    httpOnly: true,
    secure: new URL(c.req.url).protocol === 'https:',
    sameSite: 'Lax',
    path: '/',
    maxAge: 365 * 86_400,
  });
  return { readerId, token };
}
