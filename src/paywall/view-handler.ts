import type { Context } from 'hono';
import { deleteCookie } from 'hono/cookie';
import { AppError } from '../http/app-error';
import type { AppEnv } from '../http/app-types';
import { isPreflight, preflight } from '../http/cors';
import { crawlerTermsOf, keepPrivate, payerOf, withLinkHelp } from '../crawlers/crawler-view';
import { READER_COOKIE } from '../reader/authenticate';
import { getSiteRules } from '../rules/site-store';
import { walletOf } from '../wallet/wallet-stub';
import type { ChargeRequest, ChargeResult } from '../wallet/wallet-types';
import { agentPaymentOf } from './agent-payment';
import { CONFIRM_PARAM } from './confirm-route';
import { deliver } from './deliver';
import { type EarlyFetch, heardFromWallet, startEarly } from './early-origin';
import { readsAsPricier } from './lenient-readings';
import { servablePath } from './normalize-path';
import { paymentRequired } from './payment-required';
import { isPriceManifestPath, servePriceManifest } from './price-manifest';
import { knownTitle } from './known-titles';
import { fetchOrigin, type OriginResult } from './proxy-origin';
import { leasable, spendFromLease } from './spend-leases';
import { voidCharge } from './undo-charges';
import type { Charge, PricedView } from './view-outcome';
import { callWallet } from './wallet-faults';

/**
 * A view of a publisher's content, from the request to the ledger row: the site, the
 * path, the price; for a priced path, what the request agrees to pay and who pays (what
 * the pay per crawl and x402 middlewares in front of this handler read into the context);
 * the wallet charges the price (one request); the origin answers; the charge is voided if
 * the origin did not answer 2xx; the answer is delivered. So no money stays taken for
 * content that was not delivered, and a delivered view costs one wallet request. A refusal
 * is thrown as an AppError (rendered by the app's onError) or answered with the 402, and
 * nothing is charged.
 *
 * A paid GET of a reader this isolate last saw with the money asks the origin together
 * with the wallet (see early-origin.ts); the origin's answer is still delivered only once
 * the wallet charged the price.
 */
export async function handleView(c: Context<AppEnv>): Promise<Response> {
  const url = new URL(c.req.url);

  // 1. The site, and the path as it is priced and sent to the origin. Bad input is judged
  // before configuration (the contract): a bad path is a 400 even where the site is broken.
  const { host, rules } = await siteOf(c, url.hostname);
  const path = servablePath(url.pathname);
  if (rules === 'unavailable') {
    throw new AppError('site_unavailable', 'This site is temporarily unavailable: its configuration is invalid.');
  }
  if (isPriceManifestPath(path)) {
    c.set('crossOriginReads', true);
    return isPreflight(c.req.raw) ? preflight(c) : servePriceManifest(c, rules);
  }
  const { site } = rules;

  // 2. The price: the first rule that matches, then the site's crawler policy for this requester.
  const rule = rules.match(path)?.rule;
  const rulePriceMicros = rule?.priceMicros ?? 0;
  if (readsAsPricier(path, rulePriceMicros, (p) => rules.match(p))) {
    throw new AppError('invalid_path', 'The path cannot be served safely: an origin could read it as a path with a higher price.');
  }
  const crawler = await crawlerTermsOf(c, site, rulePriceMicros);
  // The one-click confirmation of a view above the reader's ask-before-paying threshold
  // (POST /__paywall/confirm) comes as this parameter: the wallet takes it, the origin never sees it.
  const confirmation = takeConfirmationParam(url);
  const origin = (cancel?: AbortSignal) => fetchOrigin(c.env, c.req.raw, site, path, url.search, READER_COOKIE, cancel);
  if (crawler.priceMicros === 0) {
    const free = deliver(c, await origin(), null, host);
    return crawler.allowedFree ? keepPrivate(free) : free;
  }
  const view: PricedView = { host, path, priceMicros: crawler.priceMicros, reviewWindowSeconds: rule?.reviewWindowSeconds };
  // Browsers of any origin may read a priced answer, never with the reader's cookie (corsReads).
  c.set('crossOriginReads', true);
  if (isPreflight(c.req.raw)) return preflight(c);

  // 3. What the request agrees to pay, and who pays: an x402 payload's reader, else the
  // Authorization token, a linked crawler's signature or the reader's cookie.
  const terms = agentPaymentOf(c, host);
  const payer =
    terms.readerId !== undefined ? { readerId: terms.readerId, grant: undefined, bySignature: false } : await payerOf(c, crawler);
  const { readerId } = payer;
  const returnTo = path + url.search;
  if (!readerId) return withLinkHelp(c, await paymentRequired(c, view, 'payment_required', null, returnTo), crawler.identity);
  if (payer.bySignature && c.req.method !== 'HEAD' && !terms.statesCrawlerPrice) {
    return paymentRequired(c, view, 'payment_required', null, returnTo, { missingCrawlerPrice: true });
  }
  const wallet = walletOf(c.env, readerId);
  const windowKey = windowKeyOf(host, path);
  const chargeOf = (settled: { chargedMicros: number; balanceMicros: number; receipt: string | null }, replay: boolean): Charge => ({
    readerId,
    host,
    path,
    chargedMicros: settled.chargedMicros,
    balanceMicros: settled.balanceMicros,
    receipt: settled.receipt,
    replay,
    receiptBar: site.receiptBar === true,
  });

  // HEAD never charges: the origin's headers where a re-view window covers the path, a 402 otherwise.
  if (c.req.method === 'HEAD') {
    const { covered, balanceMicros } = await callWallet('covered', () => wallet.covered(windowKey, payer.grant));
    if (!covered) return paymentRequired(c, view, 'payment_required', balanceMicros, returnTo);
    return deliver(c, await origin(), chargeOf({ chargedMicros: 0, balanceMicros, receipt: null }, false), host);
  }

  // 4. The wallet charges the price at once (the view's one request to it), finds a re-view
  // window or a replayed Idempotency-Key that covers it, or refuses it.
  const request: ChargeRequest = { receipt: crypto.randomUUID(), host, path, windowKey, priceMicros: view.priceMicros };
  if (payer.grant) request.grant = payer.grant;
  if (view.reviewWindowSeconds !== undefined) request.reviewWindowSeconds = view.reviewWindowSeconds;
  if (terms.maxPriceMicros !== null) request.maxPriceMicros = terms.maxPriceMicros;
  if (terms.idempotencyKey !== null) {
    request.idempotencyKey = terms.idempotencyKey;
    request.method = c.req.method;
  }
  if (terms.idempotencyFingerprint !== null) request.idempotencyFingerprint = terms.idempotencyFingerprint;
  // A person in a browser (the cookie, no bearer token, no signature) is asked before a view
  // above their own threshold; agents set theirs per request with Paywall-Max-Price-Micros.
  if (terms.readerId === undefined && c.req.header('authorization') === undefined && !payer.bySignature) {
    request.askFirst = true;
    if (confirmation !== null) request.confirmation = confirmation;
  }
  const title = knownTitle(host, path);
  if (title !== undefined) request.title = title;

  // A hot reader's plain view is spent from this isolate's lease, with no wallet request of its own.
  const leased = leasable(c.req.method, request) ? await spendFromLease(c, readerId, request) : null;
  if (leased) {
    const fetched = await givenBackUnlessDelivered(c, origin(), leased.giveBack);
    const charge: Charge = {
      ...chargeOf({ chargedMicros: view.priceMicros, balanceMicros: leased.balanceMicros, receipt: leased.receipt }, false),
      ...(title !== undefined ? { titleOnCharge: title } : {}),
      unreported: leased,
    };
    return deliver(c, fetched, isDelivered(fetched) ? charge : null, host);
  }

  const early = c.env.BENCH_SERIAL_WALLET === 'true' ? null : startEarly(c.req.method, readerId, view.priceMicros, origin);
  const charged = await chargeAlongside(c, wallet, request, readerId, early);
  if (!charged.ok) return refusal(c, view, charged, returnTo);
  const charge = { ...chargeOf(charged, charged.replay), ...(charged.voidable && title !== undefined ? { titleOnCharge: title } : {}) };
  if (!charged.voidable) return deliver(c, await (early?.result ?? origin()), charge, host);

  // 5. The origin (already on its way if it was asked early). Not 2xx: the charge is voided.
  const fetched = await givenBackUnlessDelivered(c, early?.result ?? origin(), () => voidCharge(c.env, readerId, charged.receipt));

  // 6. The answer, with the charge and its receipt (the ledger row's id); a failure's without.
  return deliver(c, fetched, isDelivered(fetched) ? charge : null, host);
}

/**
 * The site whose rules price a view on `hostname`: its own, else the one named by
 * DEFAULT_SITE; a 404 when there is neither. `news.example.` is the same host as `news.example`.
 */
async function siteOf(c: Context<AppEnv>, hostname: string) {
  const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
  const host = hostname.replace(/\.$/, '');
  const rules = await getSiteRules(c.env, host, waitUntil);
  if (rules !== null) return { host, rules };
  const fallback = c.env.DEFAULT_SITE ? await getSiteRules(c.env, c.env.DEFAULT_SITE, waitUntil) : null;
  if (fallback !== null) return { host: c.env.DEFAULT_SITE!, rules: fallback };
  throw new AppError('unknown_site', `No paywalled site is configured for ${hostname}.`);
}

/**
 * The wallet's answer to `request`. An origin fetch started early is told: it goes on
 * only while the view is charged or covered, and is thrown away (never shown) otherwise.
 * A charge whose answer was lost may have been written: it is voided before the 503.
 */
async function chargeAlongside(
  c: Context<AppEnv>,
  wallet: ReturnType<typeof walletOf>,
  request: ChargeRequest,
  readerId: string,
  early: EarlyFetch | null,
): Promise<ChargeResult> {
  const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
  let charged: ChargeResult;
  try {
    charged = await callWallet<ChargeResult>('charge', () => wallet.charge(request));
  } catch (e) {
    early?.discard(waitUntil);
    await voidCharge(c.env, readerId, request.receipt);
    throw e;
  }
  early?.walletAnswered();
  // What the wallet says the reader has left (0 when refused) decides whether their next view may go early.
  heardFromWallet(readerId, charged.ok ? charged.balanceMicros : 0);
  // Refused: the origin's answer, if it was asked early, is never shown (nor its headers).
  if (!charged.ok) early?.discard(waitUntil);
  return charged;
}

/**
 * The origin's answer to a view this request charged; when it is not a 2xx (or the fetch
 * failed), the charge is given back (voided, or dropped from a lease's batch) before the
 * answer goes out, so that the reader reads a balance with nothing taken. The wait runs
 * under waitUntil too: a reader who hangs up before the origin answered still has a failed
 * view given back.
 */
function givenBackUnlessDelivered(
  c: Context<AppEnv>,
  pending: Promise<OriginResult>,
  giveBack: () => Promise<void>,
): Promise<OriginResult> {
  const settled = pending.then(
    async (fetched) => {
      if (!isDelivered(fetched)) await giveBack();
      return fetched;
    },
    async (e: unknown) => {
      await giveBack();
      throw e;
    },
  );
  c.executionCtx.waitUntil(settled.catch(() => {}));
  return settled;
}

/** The origin answered 2xx: the content is delivered, and a charge for it stands. */
function isDelivered(fetched: OriginResult): boolean {
  return fetched.ok && fetched.response.status >= 200 && fetched.response.status <= 299;
}

/** The wallet refused the price: a 409 for an Idempotency-Key used otherwise, else the 402 saying why. */
function refusal(
  c: Context<AppEnv>,
  view: PricedView,
  reserved: Extract<ChargeResult, { ok: false }>,
  returnTo: string,
): Response | Promise<Response> {
  switch (reserved.reason) {
    case 'idempotency_conflict':
      throw new AppError('idempotency_conflict', 'This Idempotency-Key was already used for a different path or payment.');
    case 'revoked':
      // The reader disconnected this publisher (or signed out everywhere): the cookie is worth nothing now.
      deleteCookie(c, READER_COOKIE, { path: '/' });
      return paymentRequired(c, view, 'payment_required', null, returnTo);
    case 'confirmation_required':
      return paymentRequired(c, view, 'price_above_max', reserved.balanceMicros, returnTo, {
        askAboveMicros: reserved.askAboveMicros ?? null,
        confirmPath: returnTo,
      });
    default: {
      const cap =
        reserved.dailyCapMicros === undefined
          ? {}
          : { dailyCapMicros: reserved.dailyCapMicros, spentTodayMicros: reserved.spentTodayMicros ?? 0 };
      return paymentRequired(c, view, reserved.reason, reserved.balanceMicros, returnTo, cap);
    }
  }
}

/** Takes the confirmation parameter out of `url` (so neither the origin nor a later link carries it); returns it if well formed. */
function takeConfirmationParam(url: URL): string | null {
  const values = url.searchParams.getAll(CONFIRM_PARAM);
  if (values.length === 0) return null;
  url.searchParams.delete(CONFIRM_PARAM);
  return values.length === 1 && /^[0-9a-f-]{36}$/.test(values[0]!) ? values[0]! : null;
}

/** Re-view windows follow the rules' matching: ASCII case and one trailing slash do not make a new path. */
function windowKeyOf(host: string, path: string): string {
  const lower = path.toLowerCase();
  return `${host}${lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower}`;
}
