import { Hono, type Context } from 'hono';
import { AppError } from '../http/app-error';
import { csrf } from 'hono/csrf';
import type { AppEnv } from '../http/app-types';
import { hostKindOf, hostName, publisherOrigin, walletOrigin } from '../http/hosts';
import { ConnectConsentPage, ConnectProblemPage } from '../pages/connect-page';
import { pageHeaders, formBodyLimit } from '../pages/page-headers';
import { WalletSignInPage } from '../pages/wallet-sign-in-page';
import { presentedCredential } from '../reader/authenticate';
import { isGrantId, isReaderId } from '../reader/reader-token';
import { safeReturnPath } from '../reader/return-path';
import { walletOf } from '../wallet/wallet-stub';
import { mergeCookieWallet } from './merge-cookie-wallet';
import { connectPath, publisherHostParam, siteServed } from './continuation';
import { setSpendCookie, signedInReader } from './wallet-session';

/**
 * Connecting a publisher: a top-level round trip, no third-party cookie, no iframe, no
 * script. The publisher's paywall page links to the wallet host's `/__paywall/connect`;
 * the reader signs in and consents once per publisher; the wallet host redirects back
 * with a single-use code that the publisher host's `/__paywall/connect/callback` turns
 * into its own cookie holding a spend-only token.
 */
export const connectRoutes = new Hono<AppEnv>()
  .use(pageHeaders)
  .use(csrf())
  .use(formBodyLimit(4 * 1024))
  .get('/', async (c) => {
    if (hostKindOf(c.env, c.req.url) !== 'wallet') throw notHere(c);
    const target = await connectTarget(c, c.req.query('site'), c.req.query('return'));
    const readerId = await signedInReader(c);
    const back = `${publisherOrigin(target.site, c.req.url)}${target.returnPath}`;
    if (!readerId)
      return c.html(WalletSignInPage({ next: connectPath(target.site, target.returnPath), site: target.site, error: null, back }));
    const wallet = walletOf(c.env, readerId);
    // A publisher already connected: straight back, no consent screen again.
    if (await wallet.isConnected(target.site)) return backToPublisher(c, readerId, target);
    const [summary, passkeys] = await Promise.all([wallet.summary(), wallet.passkeys()]);
    return c.html(
      ConnectConsentPage({
        site: target.site,
        returnPath: target.returnPath,
        dailyCapMicros: summary.dailyCapMicros,
        balanceMicros: summary.balanceMicros,
        offerPasskey: passkeys.length === 0,
        back,
      }),
    );
  })
  .post('/', async (c) => {
    if (hostKindOf(c.env, c.req.url) !== 'wallet') throw notHere(c);
    const form = await c.req.parseBody();
    const target = await connectTarget(c, str(form.site), str(form.return));
    const readerId = await signedInReader(c);
    if (!readerId) return c.redirect(connectPath(target.site, target.returnPath), 303);
    if (form.decision !== 'allow') return c.redirect(`${publisherOrigin(target.site, c.req.url)}${target.returnPath}`, 303);
    return backToPublisher(c, readerId, target);
  })
  .get('/callback', async (c) => {
    if (hostKindOf(c.env, c.req.url) !== 'publisher') throw notHere(c);
    const host = hostName(new URL(c.req.url).hostname);
    const returnPath = safeReturnPath(c.req.query('return')) ?? '/';
    const code = /^(r_[A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$/.exec(c.req.query('code') ?? '');
    const expired = () =>
      c.html(
        ConnectProblemPage({
          title: 'This sign-in link no longer works',
          message:
            'It was used already, has expired (it lasts a minute) or was made for another site. Go back and continue with your wallet again.',
          back: returnPath,
        }),
        400,
      );
    if (!code || !isReaderId(code[1]!) || !isGrantId(code[2]!)) return expired();
    const [, readerId, codeId] = code as unknown as [string, string, string];
    const redeemed = await walletOf(c.env, readerId).redeemConnectCode(codeId, host, returnPath);
    if (!redeemed.ok) return expired();
    // Money in a wallet this browser made here before it had one everywhere moves into it.
    const before = await presentedCredential(c);
    if (before?.via === 'cookie' && before.credential.kind === 'reader' && before.credential.readerId !== readerId) {
      await mergeCookieWallet(c.env, before.credential.readerId, readerId);
    }
    await setSpendCookie(c, readerId, redeemed.connectionId, host);
    return c.redirect(returnPath, 303);
  });

type Target = { site: string; returnPath: string };

/** The site and the page to return to that a connect link names; a link that names neither well is a page that says so. */
async function connectTarget(c: Context<AppEnv>, rawSite: string | undefined, rawReturn: string | undefined): Promise<Target> {
  const site = publisherHostParam(c.env, rawSite);
  const returnPath = rawReturn === undefined || rawReturn === '' ? '/' : safeReturnPath(rawReturn);
  const known = site ? await siteServed(c, site) : false;
  const refuse = (field: string, message: string) =>
    new AppError('invalid_request', message, { field, page: true, title: 'This link cannot connect a site' });
  if (!site || !known) throw refuse('site', 'No site on this network goes by that name.');
  if (returnPath === null) throw refuse('return', 'The page to return to is not a page of that site.');
  return { site, returnPath };
}

async function backToPublisher(c: Context<AppEnv>, readerId: string, target: Target): Promise<Response> {
  const connected = await walletOf(c.env, readerId).connectPublisher(target.site, target.returnPath);
  if (!connected.ok) return c.redirect('/__paywall/account', 303);
  const query = new URLSearchParams({ code: connected.code, return: target.returnPath });
  return c.redirect(`${publisherOrigin(target.site, c.req.url)}/__paywall/connect/callback?${query}`, 303);
}

function notHere(c: Context<AppEnv>): AppError {
  const where = hostKindOf(c.env, c.req.url) === 'publisher' ? ` (${walletOrigin(c.env, c.req.url)})` : '';
  return new AppError('not_found', `Publishers are connected from the wallet host${where}.`);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
