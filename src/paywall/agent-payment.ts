import type { Context } from 'hono';
import { jsonError } from '../http/json-errors';
import { usdForCrawlerHeaders } from '../money';
import { verifyToken } from '../reader/reader-token';
import type { Charge } from './deliver';
import { CRAWLER_CHARGED, CRAWLER_ERROR, CRAWLER_PRICE, crawlerRefusalCode, readCrawlerTerms, type CrawlerCeiling } from './pay-per-crawl';
import type { PaymentRequiredReason } from './payment-required';
import {
  PAYMENT_REQUIRED,
  PAYMENT_RESPONSE,
  PAYMENT_SIGNATURE,
  paymentRequiredHeader,
  paymentResponseHeader,
  readPaymentSignature,
} from './x402';

/**
 * How an agent or crawler asked to pay for a priced view, in x402 or pay per crawl
 * terms, reduced to what the wallet already understands: a price ceiling, an
 * idempotency key (with the payload it is bound to) and the reader who pays.
 */
export type AgentPayment = {
  /** The most the view may be charged: the least of every ceiling the request states. */
  maxPriceMicros: number | null;
  idempotencyKey: string | null;
  idempotencyFingerprint: string | null;
  /** The reader named by an x402 payload; undefined when there was none (then the usual token counts). */
  readerId: string | null | undefined;
};

type Priced = {
  host: string;
  path: string;
  priceMicros: number;
  reviewWindowSeconds: number | undefined;
  crawler: CrawlerCeiling | null;
  x402: { maxMicros: number; readerId: string | null } | null;
};

/** What the 402 and the paid answer need to know of the request, kept per request. */
const pricedRequests = new WeakMap<Request, Priced>();

export type AgentPaymentInput = {
  host: string;
  path: string;
  priceMicros: number;
  reviewWindowSeconds: number | undefined;
  maxPriceMicros: number | null;
  idempotencyKey: string | null;
};

/** Reads the protocol headers of a view of a priced path; a Response when they cannot be honoured (nothing charged). */
export async function readAgentPayment(c: Context, input: AgentPaymentInput): Promise<AgentPayment | Response> {
  const crawler = readCrawlerTerms(c.req.raw.headers);
  if (!crawler.ok) {
    c.header(CRAWLER_ERROR, crawler.code);
    return jsonError(c, 400, 'invalid_request', crawler.message, { field: crawler.field });
  }
  const priced: Priced = { ...input, crawler: crawler.ceiling, x402: null };
  pricedRequests.set(c.req.raw, priced);

  let maxPriceMicros = lowest(input.maxPriceMicros, crawler.ceiling?.micros ?? null);
  let idempotencyKey = input.idempotencyKey;
  let idempotencyFingerprint: string | null = null;
  let readerId: string | null | undefined;

  const signature = c.req.header(PAYMENT_SIGNATURE);
  if (signature !== undefined) {
    const read = await readPaymentSignature(signature, { host: input.host, method: c.req.method });
    if (!read.ok) {
      c.header(PAYMENT_RESPONSE, paymentResponseHeader({ success: false, errorReason: read.code }));
      return jsonError(c, 400, read.code, read.message, { field: 'PAYMENT-SIGNATURE' });
    }
    const { payment } = read;
    if (payment.paymentId !== null) {
      if (idempotencyKey !== null && idempotencyKey !== payment.paymentId) {
        return jsonError(c, 400, 'invalid_idempotency_key', 'Idempotency-Key and the payment-identifier id name different requests.', {
          field: 'Idempotency-Key',
        });
      }
      idempotencyKey = payment.paymentId;
      idempotencyFingerprint = payment.fingerprint;
    }
    readerId = await verifyToken(c.env, payment.token);
    maxPriceMicros = lowest(maxPriceMicros, payment.maxMicros);
    priced.x402 = { maxMicros: payment.maxMicros, readerId };
  }
  return { maxPriceMicros, idempotencyKey, idempotencyFingerprint, readerId };
}

/** Adds the protocols' view of a 402 on a priced path: what it costs, how to pay, and why this request was refused. */
export function addAgentRefusalHeaders(c: Context, reason: PaymentRequiredReason, priceMicros: number): void {
  const priced = pricedRequests.get(c.req.raw);
  const url = new URL(c.req.url);
  c.header(CRAWLER_PRICE, usdForCrawlerHeaders(priceMicros));
  const crawlerCode = reason === 'price_above_max' ? crawlerRefusalCode(priced?.crawler ?? null, priceMicros) : null;
  if (crawlerCode) c.header(CRAWLER_ERROR, crawlerCode);

  const input = {
    payTo: priced?.host ?? url.hostname,
    resourceUrl: `${url.origin}${priced?.path ?? url.pathname}${url.search}`,
    priceMicros,
    error: REFUSALS[reason],
    base: url.origin,
  };
  c.header(
    PAYMENT_REQUIRED,
    paymentRequiredHeader(
      priced?.reviewWindowSeconds === undefined ? input : { ...input, reviewWindowSeconds: priced.reviewWindowSeconds },
    ),
  );
  if (priced?.x402 && c.req.method !== 'HEAD') {
    const { x402 } = priced;
    const errorReason =
      x402.readerId === null
        ? 'invalid_prepaid_payload_token'
        : reason === 'insufficient_balance'
          ? 'insufficient_funds'
          : reason === 'price_above_max' && x402.maxMicros < priceMicros
            ? 'invalid_prepaid_payload_amount'
            : reason;
    c.header(PAYMENT_RESPONSE, paymentResponseHeader({ success: false, errorReason, ...(x402.readerId ? { payer: x402.readerId } : {}) }));
  }
}

const REFUSALS: Record<PaymentRequiredReason, string> = {
  payment_required: 'payment_required: present a reader token (PAYMENT-SIGNATURE with the prepaid scheme, or Authorization: Bearer)',
  insufficient_balance: 'insufficient_balance: the reader balance does not cover the price; top up',
  daily_cap_reached: 'daily_cap_reached: the reader daily spending cap would be exceeded',
  price_above_max: 'price_above_max: the price is above the most this request agreed to pay',
};

/** Headers an origin must not be able to forge: only the paywall reports what was charged. */
const PROTOCOL_RESPONSE_HEADERS = [CRAWLER_PRICE, CRAWLER_CHARGED, CRAWLER_ERROR, PAYMENT_REQUIRED, PAYMENT_RESPONSE];

/** On an answer from the origin: drops its protocol headers, and reports a charge in each protocol's terms. */
export function setAgentSettlementHeaders(headers: Headers, charge: Charge | null, request?: Request): void {
  for (const name of PROTOCOL_RESPONSE_HEADERS) headers.delete(name);
  if (!charge) return;
  headers.set(CRAWLER_CHARGED, usdForCrawlerHeaders(charge.chargedMicros));
  if (charge.receipt) {
    // x402 reads a settlement without `amount` as `accepted.amount` taken in full; say so
    // whenever less was taken (the price fell since the quote, or a re-view cost nothing).
    const accepted = request ? pricedRequests.get(request)?.x402?.maxMicros : undefined;
    const amount = accepted !== undefined && charge.chargedMicros < accepted ? { amount: String(charge.chargedMicros) } : {};
    headers.set(PAYMENT_RESPONSE, paymentResponseHeader({ success: true, transaction: charge.receipt, payer: charge.readerId, ...amount }));
  }
}

function lowest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
