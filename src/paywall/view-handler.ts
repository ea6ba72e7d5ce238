import type { Context } from 'hono';
import { deleteCookie } from 'hono/cookie';
import type { AppEnv } from '../http/app-types';
import { jsonError } from '../http/json-errors';
import { idempotencyKeyOf } from '../http/idempotency-key';
import { parseMicrosHeader } from '../money';
import { READER_COOKIE } from '../reader/authenticate';
import { allowCrossOriginReads, isPreflight, preflight } from '../http/cors';
import { crawlerTermsOf, keepPrivate, payerOf, statesCrawlerPrice, withLinkHelp } from '../crawlers/crawler-view';
import { CRAWLER_ERROR } from './pay-per-crawl';
import { getSiteRules } from '../rules/site-store';
import { walletOf } from '../wallet/wallet-stub';
import type { CommitResult, ReserveRequest, ReserveResult } from '../wallet/wallet-types';
import { normalizePath } from './normalize-path';
import { paymentRequired } from './payment-required';
import { fetchOrigin } from './proxy-origin';
import { deliver, type Charge } from './deliver';
import { CONFIRM_PARAM } from './confirm-route';
import { readAgentPayment } from './agent-payment';
import { isPriceManifestPath, servePriceManifest } from './price-manifest';
import { readsAsPricier } from './lenient-readings';
import { tryWallet, undoUncertainCommit, walletUnavailable } from './wallet-faults';
import { heardFromWallet, startEarly } from './early-origin';

/**
 * A view of a publisher's content: price the path, charge the reader, proxy the origin.
 * The price is held and committed only once the origin answered 2xx, so no money moves
 * for content that was not delivered. A paid GET of a reader this isolate last saw with
 * the money asks the origin together with the wallet (see early-origin.ts); the origin's
 * answer is still delivered only once the wallet held the price.
 */
export async function handleView(c: Context<AppEnv>): Promise<Response> {
  const url = new URL(c.req.url);
  const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);

  // `news.example.` is the same host as `news.example`.
  let host = url.hostname.replace(/\.$/, '');
  let rules = await getSiteRules(c.env, host, waitUntil);
  if (rules === null && c.env.DEFAULT_SITE) {
    host = c.env.DEFAULT_SITE;
    rules = await getSiteRules(c.env, host, waitUntil);
  }
  if (rules === null) return jsonError(c, 404, 'unknown_site', `No paywalled site is configured for ${url.hostname}.`);
  // Bad input is judged before configuration (the contract).
  const normalized = normalizePath(url.pathname);
  if (!normalized.ok) return jsonError(c, 400, 'invalid_path', `The path cannot be served safely: ${normalized.reason}.`);
  if (rules === 'unavailable') {
    return jsonError(c, 503, 'site_unavailable', 'This site is temporarily unavailable: its configuration is invalid.');
  }
  const path = normalized.path;
  if (isPriceManifestPath(path)) {
    allowCrossOriginReads(c.req.raw);
    return isPreflight(c.req.raw) ? preflight(c) : servePriceManifest(c, rules);
  }
  const site = rules.site;
  const matched = rules.match(path);
  const rulePriceMicros = matched?.rule.priceMicros ?? 0;
  if (readsAsPricier(path, rulePriceMicros, (p) => rules.match(p))) {
    return jsonError(c, 400, 'invalid_path', 'The path cannot be served safely: an origin could read it as a path with a higher price.');
  }
  const crawler = await crawlerTermsOf(c, site, rulePriceMicros);
  if (crawler instanceof Response) return crawler;
  const priceMicros = crawler.priceMicros;

  // The one-click confirmation of a view above the reader's ask-before-paying threshold
  // (POST /__paywall/confirm) comes as this parameter: the wallet takes it, the origin never sees it.
  const confirmation = takeConfirmationParam(url);
  const origin = (cancel?: AbortSignal) => fetchOrigin(c.env, c.req.raw, site, path, url.search, READER_COOKIE, cancel);
  if (priceMicros === 0) {
    const free = deliver(c, await origin(), null, host);
    return crawler.allowedFree ? keepPrivate(free) : free;
  }
  allowCrossOriginReads(c.req.raw);
  if (isPreflight(c.req.raw)) return preflight(c);

  const maxPrice = parseMicrosHeader(c.req.header('paywall-max-price-micros'), 'Paywall-Max-Price-Micros');
  const idempotencyKey = idempotencyKeyOf(c);

  const agent = await readAgentPayment(c, {
    host,
    path,
    priceMicros,
    reviewWindowSeconds: matched?.rule.reviewWindowSeconds,
    maxPriceMicros: maxPrice,
    idempotencyKey,
  });
  if (agent instanceof Response) return agent;

  const returnTo = path + url.search;
  const payer =
    agent.readerId !== undefined ? { readerId: agent.readerId, grant: undefined, bySignature: false } : await payerOf(c, crawler);
  const readerId = payer.readerId;
  if (!readerId) return withLinkHelp(c, await paymentRequired(c, 'payment_required', priceMicros, null, returnTo), crawler.identity);
  if (payer.bySignature && c.req.method !== 'HEAD' && !statesCrawlerPrice(c)) {
    c.header(CRAWLER_ERROR, 'MissingCrawlerPrice');
    return paymentRequired(c, 'payment_required', priceMicros, null, returnTo);
  }
  const wallet = walletOf(c.env, readerId);
  const windowKey = windowKeyOf(host, path);

  if (c.req.method === 'HEAD') {
    const coverage = await tryWallet('covered', () => wallet.covered(windowKey, payer.grant));
    if (!coverage) return walletUnavailable(c);
    const { covered, balanceMicros } = coverage;
    if (!covered) return paymentRequired(c, 'payment_required', priceMicros, balanceMicros, returnTo);
    return deliver(
      c,
      await origin(),
      { readerId, host, path, chargedMicros: 0, balanceMicros, receipt: null, replay: false, receiptBar: site.receiptBar === true },
      host,
    );
  }

  const request: ReserveRequest = { host, path, windowKey, priceMicros };
  if (payer.grant) request.grant = payer.grant;
  if (matched?.rule.reviewWindowSeconds !== undefined) request.reviewWindowSeconds = matched.rule.reviewWindowSeconds;
  if (agent.maxPriceMicros !== null) request.maxPriceMicros = agent.maxPriceMicros;
  if (agent.idempotencyKey !== null) {
    request.idempotencyKey = agent.idempotencyKey;
    request.method = c.req.method;
  }
  if (agent.idempotencyFingerprint !== null) request.idempotencyFingerprint = agent.idempotencyFingerprint;
  // A person in a browser (the cookie, no bearer token, no signature) is asked before a view
  // above their own threshold; agents set theirs per request with Paywall-Max-Price-Micros.
  if (agent.readerId === undefined && c.req.header('authorization') === undefined && !payer.bySignature) {
    request.askFirst = true;
    if (confirmation !== null) request.confirmation = confirmation;
  }

  const early = c.env.BENCH_SERIAL_WALLET === 'true' ? null : startEarly(c.req.method, readerId, priceMicros, origin);
  const reserved = await tryWallet<ReserveResult>('reserve', () => wallet.reserve(request));
  early?.walletAnswered();
  // What the wallet says the reader has left (0 when refused) decides whether their next view may go early.
  if (reserved) heardFromWallet(readerId, reserved.ok ? reserved.balanceMicros : 0);
  if (!reserved) {
    early?.discard(waitUntil);
    return walletUnavailable(c);
  }
  if (!reserved.ok) {
    // Refused: the origin's answer, if it was asked early, is never shown (nor its headers).
    early?.discard(waitUntil);
    if (reserved.reason === 'idempotency_conflict') {
      return jsonError(c, 409, 'idempotency_conflict', 'This Idempotency-Key was already used for a different path or payment.');
    }
    if (reserved.reason === 'revoked') {
      // The reader disconnected this publisher (or signed out everywhere): the cookie is worth nothing now.
      deleteCookie(c, READER_COOKIE, { path: '/' });
      return paymentRequired(c, 'payment_required', priceMicros, null, returnTo);
    }
    if (reserved.reason === 'confirmation_required') {
      return paymentRequired(c, 'price_above_max', priceMicros, reserved.balanceMicros, returnTo, {
        askAboveMicros: reserved.askAboveMicros ?? null,
        confirmPath: returnTo,
      });
    }
    const cap =
      reserved.dailyCapMicros === undefined
        ? {}
        : { dailyCapMicros: reserved.dailyCapMicros, spentTodayMicros: reserved.spentTodayMicros ?? 0 };
    return paymentRequired(c, reserved.reason, priceMicros, reserved.balanceMicros, returnTo, cap);
  }
  if (reserved.settled) {
    const { receipt, chargedMicros, balanceMicros, replay } = reserved;
    return deliver(
      c,
      await (early?.result ?? origin()),
      { readerId, host, path, chargedMicros, balanceMicros, receipt, replay, receiptBar: site.receiptBar === true },
      host,
    );
  }

  const { holdId } = reserved;
  let fetched: Awaited<ReturnType<typeof origin>>;
  try {
    fetched = await (early?.result ?? origin());
  } catch (e) {
    await wallet.void(holdId);
    throw e;
  }
  if (!fetched.ok || fetched.response.status < 200 || fetched.response.status > 299) {
    await tryWallet('void', () => wallet.void(holdId));
    return deliver(c, fetched, null, host);
  }
  const committed = await tryWallet<CommitResult>('commit', () => wallet.commit(holdId));
  if (!committed) await undoUncertainCommit(c.env, readerId, holdId);
  if (!committed?.ok) {
    await fetched.response.body?.cancel();
    return jsonError(c, 503, 'charge_not_settled', 'The charge could not be settled in time; nothing was charged. Please retry.');
  }
  const charge: Charge = {
    readerId,
    host,
    path,
    chargedMicros: committed.chargedMicros,
    balanceMicros: committed.balanceMicros,
    receipt: committed.receipt,
    replay: false,
    receiptBar: site.receiptBar === true,
  };
  return deliver(c, fetched, charge, host);
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
