import type { Context } from 'hono';
import { AppError } from '../http/app-error';
import type { AppEnv } from '../http/app-types';
import { idempotencyKeyOf } from '../http/idempotency-key';
import { parseMicrosHeader } from '../money';
import { paymentTo } from './x402';

/**
 * What the request for a priced view agrees to pay, in whichever protocol it says so,
 * reduced to what the wallet understands: a price ceiling, an idempotency key (with the
 * payload it is bound to) and, for an x402 payload, the reader who pays.
 */
export type AgentPayment = {
  /** The most the view may be charged: the least of every ceiling the request states. */
  maxPriceMicros: number | null;
  idempotencyKey: string | null;
  idempotencyFingerprint: string | null;
  /** The reader named by an x402 payload (null: its token is not valid); undefined when there was none (then the usual credentials count). */
  readerId: string | null | undefined;
  /** The request names a crawler price, as pay per crawl asks of a crawler paying by its signature. */
  statesCrawlerPrice: boolean;
};

/**
 * Reads the terms of a priced view on `host`'s site, in the order they are judged:
 * `Paywall-Max-Price-Micros`, `Idempotency-Key`, then what the pay per crawl and x402
 * middlewares read into the context. One that cannot be honoured is a 400; nothing is charged.
 */
export function agentPaymentOf(c: Context<AppEnv>, host: string): AgentPayment {
  const statedMax = parseMicrosHeader(c.req.header('paywall-max-price-micros'), 'Paywall-Max-Price-Micros');
  let idempotencyKey = idempotencyKeyOf(c);
  const crawler = c.var.payPerCrawl;
  if ('error' in crawler) throw crawler.error;
  let maxPriceMicros = lowest(statedMax, crawler.ceiling?.micros ?? null);
  let idempotencyFingerprint: string | null = null;
  let readerId: string | null | undefined;

  if (c.var.x402 !== null) {
    const payment = paymentTo(host, c.var.x402);
    if (payment.paymentId !== null) {
      if (idempotencyKey !== null && idempotencyKey !== payment.paymentId) {
        throw new AppError('invalid_idempotency_key', 'Idempotency-Key and the payment-identifier id name different requests.', {
          field: 'Idempotency-Key',
        });
      }
      idempotencyKey = payment.paymentId;
      idempotencyFingerprint = payment.fingerprint;
    }
    readerId = payment.readerId;
    maxPriceMicros = lowest(maxPriceMicros, payment.maxMicros);
  }
  return { maxPriceMicros, idempotencyKey, idempotencyFingerprint, readerId, statesCrawlerPrice: crawler.ceiling !== null };
}

function lowest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
