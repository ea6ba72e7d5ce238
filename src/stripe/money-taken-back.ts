import { z } from 'zod';
import { log } from '../http/log';
import { MICROS_PER_CENT } from '../money';
import type { PaymentFact } from '../wallet/card-payments';
import { walletOf } from '../wallet/wallet-stub';
import { paymentIndexOf } from './payment-index';
import { noteDebt } from './readers-in-debt';

const MAX_CENTS = Math.floor(Number.MAX_SAFE_INTEGER / MICROS_PER_CENT);
const cents = z.number().int().nonnegative().max(MAX_CENTS);
const stripeId = z.string().min(1).max(255);

const charge = z.object({
  amount_refunded: cents,
  currency: z.string().nullable().optional(),
  payment_intent: stripeId.nullable().optional(),
});

const dispute = z.object({
  id: stripeId.optional(),
  amount: cents,
  currency: z.string().nullable().optional(),
  status: z.string().max(64).nullable().optional(),
  payment_intent: stripeId.nullable().optional(),
});

/** The events through which Stripe takes money back from (or returns it to) a card top-up. */
export const TAKE_BACK_EVENTS = ['charge.refunded', 'charge.dispute.created', 'charge.dispute.closed'] as const;
export type TakeBackEvent = (typeof TAKE_BACK_EVENTS)[number];

export function isTakeBackEvent(type: string): type is TakeBackEvent {
  return (TAKE_BACK_EVENTS as readonly string[]).includes(type);
}

type Read = { ok: true; fact: PaymentFact | null; note?: string } | { ok: false };

/** The fact an event states, or null for one that concerns no paywall top-up (another currency, no payment_intent). */
export function factOf(type: TakeBackEvent, object: unknown): Read {
  if (type === 'charge.refunded') {
    const parsed = charge.safeParse(object);
    if (!parsed.success) return { ok: false };
    const c = parsed.data;
    if (!c.payment_intent) return { ok: true, fact: null, note: 'no_payment_intent' };
    if (c.currency && c.currency.toLowerCase() !== 'usd') return { ok: true, fact: null, note: 'unsupported_currency' };
    return { ok: true, fact: { kind: 'refunded', paymentIntent: c.payment_intent, refundedMicros: c.amount_refunded * MICROS_PER_CENT } };
  }
  const parsed = dispute.safeParse(object);
  if (!parsed.success) return { ok: false };
  const d = parsed.data;
  if (!d.payment_intent) return { ok: true, fact: null, note: 'no_payment_intent' };
  if (d.currency && d.currency.toLowerCase() !== 'usd') return { ok: true, fact: null, note: 'unsupported_currency' };
  const closed = type === 'charge.dispute.closed';
  return {
    ok: true,
    fact: {
      kind: 'dispute',
      paymentIntent: d.payment_intent,
      // A charge can be disputed once, so its payment_intent names the dispute as well as its id does.
      disputeId: d.id ?? `dispute-of:${d.payment_intent}`,
      amountMicros: d.amount * MICROS_PER_CENT,
      // Only a `won` closing gives the money back; a closing without a status did not.
      status: d.status || (closed ? 'lost' : 'needs_response'),
      closed,
    },
  };
}

export type TakeBackOutcome = { handled: boolean; movedMicros: number; pending?: boolean; reason?: string };

/**
 * Applies a fact to the wallet of the reader whose top-up it concerns. A payment not yet
 * linked (its Checkout event still to come) keeps the fact in its index, which hands it
 * to the wallet with the top-up; answering 200 then is right, since nothing is lost.
 * A wallet that cannot be reached throws, and the webhook answers 5xx so Stripe retries.
 */
export async function applyFact(env: Env, fact: PaymentFact): Promise<TakeBackOutcome> {
  const routed = await paymentIndexOf(env, fact.paymentIntent).route(fact);
  if (!routed.linked) return { handled: true, movedMicros: 0, pending: true };
  const result = await walletOf(env, routed.readerId).takeBack(fact);
  if (!result.ok) {
    log('error', 'stripe_payment_reader_unknown', { paymentIntent: fact.paymentIntent, readerId: routed.readerId });
    return { handled: true, movedMicros: 0, reason: 'unknown_reader' };
  }
  await noteDebt(env, routed.readerId, result.balanceMicros);
  return { handled: true, movedMicros: result.movedMicros };
}

/** After a top-up is credited: links its payment to the reader and applies whatever Stripe said of it first. */
export async function linkPayment(env: Env, paymentIntent: string, readerId: string): Promise<void> {
  const { readerId: linked, earlyFacts } = await paymentIndexOf(env, paymentIntent).link(readerId);
  if (linked !== readerId) {
    log('error', 'stripe_payment_linked_elsewhere', { paymentIntent, linkedReaderId: linked, readerId });
    return;
  }
  const wallet = walletOf(env, readerId);
  for (const fact of earlyFacts) {
    const result = await wallet.takeBack(fact);
    if (result.ok) await noteDebt(env, readerId, result.balanceMicros);
  }
}
