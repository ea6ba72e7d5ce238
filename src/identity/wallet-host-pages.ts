import { createMiddleware } from 'hono/factory';
import { AppError } from '../http/app-error';
import type { AppEnv } from '../http/app-types';
import { hasWalletHost, hostKindOf, hostName, walletOrigin } from '../http/hosts';
import { safeReturnPath } from '../reader/return-path';
import { connectPath } from './continuation';

/**
 * With a wallet host, the account lives there only: a publisher host's account page
 * sends the reader to it, and its forms are refused (a publisher host can only spend).
 */
export const walletPagesOnWalletHost = createMiddleware<AppEnv>(async (c, next) => {
  if (!hasWalletHost(c.env) || hostKindOf(c.env, c.req.url) === 'wallet') return next();
  if (c.req.method === 'GET' || c.req.method === 'HEAD') {
    const url = new URL(c.req.url);
    const back = safeReturnPath(url.searchParams.get('return'));
    const query = back ? `?${new URLSearchParams({ return: connectPath(hostName(url.hostname), back) })}` : '';
    return c.redirect(`${walletOrigin(c.env, c.req.url)}${url.pathname}${query}`, 302);
  }
  throw new AppError('wallet_host_only', `Your wallet is managed on ${walletOrigin(c.env, c.req.url)}.`);
});

/** The wallet host serves no publisher's content (not even the DEFAULT_SITE fallback): its front page is the wallet. */
export const walletHostHasNoContent = createMiddleware<AppEnv>(async (c, next) => {
  if (!hasWalletHost(c.env) || hostKindOf(c.env, c.req.url) !== 'wallet') return next();
  if (c.req.path === '/' && (c.req.method === 'GET' || c.req.method === 'HEAD')) return c.redirect('/__paywall/account', 302);
  throw new AppError('not_found', 'The wallet host serves the wallet only: /__paywall/account.');
});
