import { Hono, type Context } from 'hono';
import { hasWalletHost, hostKindOf } from '../http/hosts';
import { safeNext, siteServed } from '../identity/continuation';
import { walletPagesOnWalletHost } from '../identity/wallet-host-pages';
import { signIn, signOut } from '../identity/wallet-session';
import { hashRecoveryCode, newRecoveryCode, parseRecoveryCode } from '../passkeys/recovery-code';
import { limitPerClient } from '../http/client-limits';
import { WalletSignInPage } from '../pages/wallet-sign-in-page';
import { isGrantId, issueNamedToken, newReaderId, signingSecretsConfigured } from './reader-token';
import { tokenName } from '../identity/token-name';
import { csrf } from 'hono/csrf';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from '../http/app-types';
import { AccountPage, accountHref, NOTICES, type FormError, type NoticeKey, type ReturnInfo } from '../pages/account-page';
import { CreateAccountPage } from '../pages/create-account-page';
import { usdForPeople } from '../money';
import { csvAnswer, MAX_CSV_ROWS } from '../pages/history-text';
import { pageHeaders, formBodyLimit } from '../pages/page-headers';
import { parseUsdTypedByPeople } from '../money';
import { topUpOptionsOf } from '../pages/top-up-buttons';
import { walletOf } from '../wallet/wallet-stub';
import { withdrawFromForm } from '../stripe/withdraw-form';
import { priceOfPath } from './article-price';
import { walletOwnerOf } from './authenticate';
import { createTopupCheckout } from './checkout';
import { createReader } from './create-reader';
import { safeReturnPath } from './return-path';
import { stripeFor } from './stripe-client';
import { MAX_TOPUP_MICROS, MIN_TOPUP_MICROS, topupMicros } from './topup-amount';

const HISTORY_PAGE = 20;
const WALLET_CREATED =
  'Your wallet is ready. Add a passkey so that you can never lose it, then top up once: every site on this network is paid from it.';
const signInLimit = limitPerClient((env) => env.READER_SIGNUP_LIMITER, 'sign-in attempts');
/** The demo's free top-up, bounded so that a typo does not make a millionaire. */
const MAX_DEV_TOPUP_MICROS = 100_000_000;

type Rendered = {
  returnTo: string | null;
  notice?: string | null;
  error?: FormError | null;
  typed?: { amount?: string; dailyCap?: string; askAbove?: string; withdraw?: string };
  before?: number | null;
  newRecoveryCode?: string | null;
  /** After a recovery code: a passkey for this device is asked for even when the wallet has others. */
  askForPasskey?: boolean;
  newToken?: { name: string; token: string } | null;
  tokenError?: string | null;
};

/**
 * `/__paywall/account`: the reader's page, and the forms it posts. Every form is a
 * plain POST that answers with a redirect (so reloading never repeats it), guarded by
 * Hono's csrf() (Origin / Sec-Fetch-Site must be this site) on top of the SameSite=Lax
 * cookie. The forms call the same wallet methods as the JSON API.
 */
export const accountRoutes = new Hono<AppEnv>()
  .use(pageHeaders)
  .use(walletPagesOnWalletHost)
  .use(csrf())
  .use(formBodyLimit(16 * 1024))
  .get('/', async (c) => {
    const returnTo = continuationOf(c, c.req.query('return'));
    const readerId = await currentReader(c);
    if (!readerId && onWalletHost(c)) return c.html(WalletSignInPage({ next: returnTo, site: siteOfNext(returnTo), error: null }));
    if (!readerId) return c.html(CreateAccountPage({ returnTo: await returnInfo(c, returnTo), error: null }));
    const before = /^\d{1,15}$/.test(c.req.query('before') ?? '') ? Number(c.req.query('before')) : null;
    const key = c.req.query('notice') ?? c.req.query('topup');
    const notice =
      key === 'created' && onWalletHost(c) ? WALLET_CREATED : key && Object.hasOwn(NOTICES, key) ? NOTICES[key as NoticeKey] : null;
    return renderAccount(c, readerId, { returnTo, before, notice });
  })
  .get('/history.csv', async (c) => {
    const readerId = await currentReader(c);
    if (!readerId) return c.redirect(accountHref({}), 303);
    return csvAnswer(c, (await walletOf(c.env, readerId).ledger(MAX_CSV_ROWS)).entries);
  })
  .post('/create', async (c) => {
    const form = await c.req.parseBody();
    if (onWalletHost(c)) return createWallet(c, safeNext(c.env, field(form, 'next')));
    const returnTo = continuationOf(c, field(form, 'return'));
    if (await currentReader(c)) return c.redirect(accountHref({ returnTo }), 303);
    const reader = await createReader(c);
    if (!reader) {
      const error = 'Accounts cannot be created on this site yet: it is not fully set up (TOKEN_SECRET).';
      return c.html(CreateAccountPage({ returnTo: await returnInfo(c, returnTo), error }), 503);
    }
    return c.redirect(accountHref({ returnTo, notice: 'created' }), 303);
  })
  .post('/cap', async (c) => {
    const form = await c.req.parseBody();
    const returnTo = continuationOf(c, field(form, 'return'));
    const readerId = await currentReader(c);
    if (!readerId) return c.redirect(accountHref({ returnTo }), 303);
    const typed = field(form, 'dailyCap').trim();
    const cap = typed === '' ? null : parseUsdTypedByPeople(typed);
    if (typed !== '' && cap === null) {
      const error = {
        field: 'dailyCap' as const,
        message: 'Enter an amount in dollars, such as 0.50, or leave the field empty for no cap.',
      };
      return renderAccount(c, readerId, { returnTo, error, typed: { dailyCap: typed } }, 400);
    }
    await walletOf(c.env, readerId).setDailyCap(cap);
    return c.redirect(accountHref({ returnTo, notice: cap === null ? 'cap-removed' : 'cap-saved' }), 303);
  })
  .post('/ask-above', async (c) => {
    const form = await c.req.parseBody();
    const returnTo = continuationOf(c, field(form, 'return'));
    const readerId = await currentReader(c);
    if (!readerId) return c.redirect(accountHref({ returnTo }), 303);
    const typed = field(form, 'askAbove').trim();
    const limit = typed === '' ? null : parseUsdTypedByPeople(typed);
    if (typed !== '' && limit === null) {
      const error = {
        field: 'askAbove' as const,
        message: 'Enter an amount in dollars, such as 0.05, or leave the field empty to never be asked.',
      };
      return renderAccount(c, readerId, { returnTo, error, typed: { askAbove: typed } }, 400);
    }
    await walletOf(c.env, readerId).setAskAbove(limit);
    return c.redirect(accountHref({ returnTo, notice: limit === null ? 'ask-removed' : 'ask-saved' }), 303);
  })
  .post('/topup', async (c) => {
    const form = await c.req.parseBody();
    const returnTo = continuationOf(c, field(form, 'return'));
    const readerId = await currentReader(c);
    if (!readerId) return c.redirect(accountHref({ returnTo }), 303);
    const typed = field(form, 'amount');
    const amount = topupMicros.safeParse(parseUsdTypedByPeople(typed));
    if (!amount.success) {
      const message = `Enter an amount from ${usdForPeople(MIN_TOPUP_MICROS)} to ${usdForPeople(MAX_TOPUP_MICROS)} in dollars and whole cents, such as 7.50.`;
      return renderAccount(c, readerId, { returnTo, error: { field: 'amount', message }, typed: { amount: typed } }, 400);
    }
    const stripe = await stripeFor(c.env);
    if (!stripe) {
      const error = { field: null, message: 'Card top-ups are not available on this site yet.' };
      return renderAccount(c, readerId, { returnTo, error }, 503);
    }
    const checkout = await createTopupCheckout(stripe, {
      readerId,
      amountMicros: amount.data,
      siteOrigin: new URL(c.req.url).origin,
      returnTo,
    });
    if (!checkout.ok) return renderAccount(c, readerId, { returnTo, error: { field: null, message: checkout.message } }, 502);
    return c.redirect(checkout.url, 303);
  })
  .post('/withdraw', async (c) => {
    const form = await c.req.parseBody();
    const returnTo = continuationOf(c, field(form, 'return'));
    const readerId = await currentReader(c);
    if (!readerId) return c.redirect(accountHref({ returnTo }), 303);
    const typed = field(form, 'amount');
    const done = await withdrawFromForm(c.env, readerId, typed);
    if ('notice' in done) return c.redirect(accountHref({ returnTo, notice: done.notice }), 303);
    return renderAccount(
      c,
      readerId,
      { returnTo, error: { field: 'withdraw', message: done.error }, typed: { withdraw: typed } },
      done.status,
    );
  })
  .post('/recover', signInLimit, async (c) => {
    if (!onWalletHost(c)) return c.notFound();
    const form = await c.req.parseBody();
    const next = safeNext(c.env, field(form, 'next'));
    const code = parseRecoveryCode(field(form, 'code'));
    const refused = (message: string, status: ContentfulStatusCode) =>
      c.html(WalletSignInPage({ next, site: siteOfNext(next), error: message }), status);
    if (!code) return refused('That is not a recovery code: it is 48 letters and digits, in groups of four.', 400);
    const checked = await walletOf(c.env, code.readerId).checkRecoveryCode(await hashRecoveryCode(code.secret));
    if (!checked.ok) {
      return checked.reason === 'too_many_attempts'
        ? refused('Too many wrong codes for this wallet: try again in an hour.', 429)
        : refused('That recovery code does not open a wallet.', 400);
    }
    // A code works once: the reader gets a new one now, and is asked for a passkey for this device.
    const fresh = newRecoveryCode(code.readerId);
    await walletOf(c.env, code.readerId).setRecoveryCodeHash(await hashRecoveryCode(fresh.secret));
    await signIn(c, code.readerId);
    return renderAccount(c, code.readerId, {
      returnTo: next,
      newRecoveryCode: fresh.code,
      askForPasskey: true,
      notice: NOTICES.recovered,
    });
  })
  .post('/recovery-code', async (c) => {
    const readerId = await walletHostReader(c);
    if (!readerId) return c.redirect(accountHref({}), 303);
    const fresh = newRecoveryCode(readerId);
    await walletOf(c.env, readerId).setRecoveryCodeHash(await hashRecoveryCode(fresh.secret));
    return renderAccount(c, readerId, { returnTo: null, newRecoveryCode: fresh.code });
  })
  .post('/passkeys/remove', async (c) => {
    const readerId = await walletHostReader(c);
    if (!readerId) return c.redirect(accountHref({}), 303);
    const removed = await walletOf(c.env, readerId).removePasskey(field(await c.req.parseBody(), 'id'));
    if (!removed.ok && removed.reason === 'last_passkey') {
      const message = 'This is your only passkey: make a recovery code first, so that you can always get back in.';
      return renderAccount(c, readerId, { returnTo: null, error: { field: null, message } }, 400);
    }
    return c.redirect(`${accountHref({ notice: 'passkey-removed' })}#passkeys`, 303);
  })
  .post('/tokens', async (c) => {
    const readerId = await walletHostReader(c);
    if (!readerId) return c.redirect(accountHref({}), 303);
    const form = await c.req.parseBody();
    const name = tokenName.safeParse(field(form, 'name'));
    const typedCap = field(form, 'dailyCap').trim();
    const cap = typedCap === '' ? null : parseUsdTypedByPeople(typedCap);
    if (!name.success || (typedCap !== '' && cap === null)) {
      const tokenError = !name.success
        ? 'Give the token a name of up to 60 characters, such as "news digest".'
        : 'Enter the cap in dollars, such as 0.50, or leave it empty.';
      return renderAccount(c, readerId, { returnTo: null, tokenError }, 400);
    }
    const added = await walletOf(c.env, readerId).addNamedToken(name.data, cap);
    if (!added.ok)
      return renderAccount(c, readerId, { returnTo: null, tokenError: 'This wallet has as many tokens as it may: revoke one first.' }, 409);
    const token = await issueNamedToken(c.env, readerId, added.tokenId);
    return renderAccount(c, readerId, { returnTo: null, newToken: { name: name.data, token } });
  })
  .post('/tokens/revoke', async (c) => {
    const readerId = await walletHostReader(c);
    if (!readerId) return c.redirect(accountHref({}), 303);
    const id = field(await c.req.parseBody(), 'id');
    if (isGrantId(id)) await walletOf(c.env, readerId).revokeNamedToken(id);
    return c.redirect(`${accountHref({ notice: 'token-revoked' })}#tokens`, 303);
  })
  .post('/disconnect', async (c) => {
    const readerId = await walletHostReader(c);
    if (!readerId) return c.redirect(accountHref({}), 303);
    const host = field(await c.req.parseBody(), 'host');
    if (host) await walletOf(c.env, readerId).disconnect(host);
    return c.redirect(`${accountHref({ notice: 'disconnected' })}#sites`, 303);
  })
  .post('/sign-out', async (c) => {
    await signOut(c);
    return c.redirect(accountHref({}), 303);
  })
  .post('/sign-out-everywhere', async (c) => {
    const readerId = await walletHostReader(c);
    if (readerId) await walletOf(c.env, readerId).signOutEverywhere();
    await signOut(c);
    return c.redirect(accountHref({ notice: 'signed-out-everywhere' }), 303);
  })
  .post('/dev-topup', async (c) => {
    if (c.env.DEV_TOPUP !== 'true') return c.notFound();
    const form = await c.req.parseBody();
    const returnTo = continuationOf(c, field(form, 'return'));
    const readerId = await currentReader(c);
    if (!readerId) return c.redirect(accountHref({ returnTo }), 303);
    const amountMicros = parseUsdTypedByPeople(field(form, 'amount'));
    if (amountMicros === null || amountMicros === 0 || amountMicros > MAX_DEV_TOPUP_MICROS) {
      const message = `A demo top-up is between $0.01 and ${usdForPeople(MAX_DEV_TOPUP_MICROS)}.`;
      return renderAccount(c, readerId, { returnTo, error: { field: null, message } }, 400);
    }
    const result = await walletOf(c.env, readerId).credit({ type: 'topup', amountMicros, reason: 'dev top-up' });
    if (!result.ok) {
      return renderAccount(c, readerId, { returnTo, error: { field: null, message: 'That would take the balance over its limit.' } }, 400);
    }
    return c.redirect(accountHref({ returnTo, notice: 'dev-topup' }), 303);
  });

function onWalletHost(c: Context<AppEnv>): boolean {
  return hasWalletHost(c.env) && hostKindOf(c.env, c.req.url) === 'wallet';
}

/** Where the account page leads back to: a path of this site, or on the wallet host a publisher's connect step. */
function continuationOf(c: Context<AppEnv>, raw: string | undefined): string | null {
  return onWalletHost(c) ? safeNext(c.env, raw) : safeReturnPath(raw);
}

function siteOfNext(next: string | null): string | null {
  return next ? new URLSearchParams(next.split('?')[1]).get('site') : null;
}

/** A new wallet on the wallet host, signed in at once; then the connect step it came for, or the account with the passkey offer. */
async function createWallet(c: Context<AppEnv>, next: string | null): Promise<Response> {
  if (await currentReader(c)) return c.redirect(next ?? '/__paywall/account', 303);
  if (!signingSecretsConfigured(c.env)) {
    return c.html(
      WalletSignInPage({
        next,
        site: siteOfNext(next),
        error: 'Wallets cannot be created here yet: the service is not fully set up (TOKEN_SECRET).',
      }),
      503,
    );
  }
  const readerId = newReaderId();
  await walletOf(c.env, readerId).open(readerId);
  await signIn(c, readerId);
  return c.redirect(next ?? accountHref({ notice: 'created' }), 303);
}

/** Forms that exist only on the wallet host (sessions, sites, passkeys). */
async function walletHostReader(c: Context<AppEnv>): Promise<string | null> {
  return onWalletHost(c) ? currentReader(c) : null;
}

/** The reader this browser (or bearer token) names, if their wallet exists. */
async function currentReader(c: Context<AppEnv>): Promise<string | null> {
  const readerId = await walletOwnerOf(c);
  if (!readerId) return null;
  return (await walletOf(c.env, readerId).exists()) ? readerId : null;
}

async function returnInfo(c: Context<AppEnv>, path: string | null): Promise<ReturnInfo | null> {
  if (!path) return null;
  if (!onWalletHost(c)) return { path, priceMicros: await priceOfPath(c, path) };
  const params = new URLSearchParams(path.split('?')[1]);
  const site = params.get('site')!;
  const article = params.get('return')!;
  // A continuation to a site this worker does not serve is dropped, not shown.
  if (!(await siteServed(c, site))) return null;
  return { path, priceMicros: await priceOfPath(c, article, site), label: `${site}${article}` };
}

async function renderAccount(c: Context<AppEnv>, readerId: string, r: Rendered, status: ContentfulStatusCode = 200) {
  const wallet = walletOf(c.env, readerId);
  const [summary, page, returnTo, withdrawable, takeBackable] = await Promise.all([
    wallet.summary(),
    wallet.ledger(HISTORY_PAGE, r.before ?? undefined),
    returnInfo(c, r.returnTo),
    wallet.withdrawable(),
    wallet.takeBackable(),
  ]);
  const props = {
    readerId,
    balanceMicros: summary.balanceMicros,
    dailyCapMicros: summary.dailyCapMicros,
    spentTodayMicros: summary.spentTodayMicros,
    askAboveMicros: summary.askAboveMicros,
    entries: page.entries,
    before: r.before ?? null,
    olderThan: page.nextBefore,
    returnTo,
    topUps: topUpOptionsOf(c.env),
    notice: r.notice ?? null,
    error: r.error ?? null,
    typed: r.typed ?? {},
    withdrawableMicros: topUpOptionsOf(c.env).card ? withdrawable.withdrawableMicros : null,
    takeBackable,
    walletHost: onWalletHost(c)
      ? {
          ...(await walletHostParts(c, readerId, r.newRecoveryCode ?? null)),
          askForPasskey: r.askForPasskey ?? false,
          newToken: r.newToken ?? null,
          tokenError: r.tokenError ?? null,
        }
      : null,
  };
  return c.html(AccountPage(props), status);
}

async function walletHostParts(c: Context<AppEnv>, readerId: string, newRecoveryCode: string | null) {
  const wallet = walletOf(c.env, readerId);
  const [connections, passkeys, hasRecoveryCode, tokens] = await Promise.all([
    wallet.connections(),
    wallet.passkeys(),
    wallet.hasRecoveryCode(),
    wallet.namedTokens(),
  ]);
  return { connections, passkeys, hasRecoveryCode, newRecoveryCode, tokens };
}

function field(form: Record<string, unknown>, name: string): string {
  const value = form[name];
  return typeof value === 'string' ? value : '';
}
