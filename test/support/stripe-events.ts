import { env } from 'cloudflare:workers';
import Stripe from 'stripe';
import { call } from './paywall';

export const WEBHOOK = '/__paywall/webhooks/stripe';

export type SessionFields = {
  id: string;
  client_reference_id: string | null;
  amount_total: number | null;
  currency?: string;
  payment_status?: string;
  payment_intent?: string | null;
};

let eventCounter = 0;

/** A Stripe event as Stripe sends it (the fields the paywall reads, and a few it does not). */
export function checkoutCompleted(session: SessionFields, type = 'checkout.session.completed') {
  return event(type, {
    object: 'checkout.session',
    mode: 'payment',
    currency: 'usd',
    payment_status: 'paid',
    status: 'complete',
    metadata: session.client_reference_id ? { paywall_reader_id: session.client_reference_id } : {},
    ...session,
  });
}

function event<T extends Record<string, unknown>>(type: string, object: T) {
  return {
    id: `evt_test_${++eventCounter}_${crypto.randomUUID().slice(0, 8)}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    type,
    data: { object },
  };
}

/** `charge.refunded`: `amountRefunded` is the charge's total refunded so far, in cents, as Stripe reports it. */
export function chargeRefunded(paymentIntent: string | null, amountCents: number, amountRefundedCents: number, currency = 'usd') {
  return event('charge.refunded', {
    id: `ch_${paymentIntent ?? crypto.randomUUID().slice(0, 12)}`,
    object: 'charge',
    amount: amountCents,
    amount_captured: amountCents,
    amount_refunded: amountRefundedCents,
    captured: true,
    currency,
    paid: true,
    payment_intent: paymentIntent,
    refunded: amountRefundedCents >= amountCents,
    status: 'succeeded',
  });
}

/** `charge.dispute.created` or `charge.dispute.closed` (with its final `status`). */
export function disputeEvent(
  kind: 'created' | 'closed',
  dispute: { id: string; paymentIntent: string | null; amountCents: number; status?: string; currency?: string },
) {
  return event(`charge.dispute.${kind}`, {
    id: dispute.id,
    object: 'dispute',
    amount: dispute.amountCents,
    charge: `ch_${dispute.paymentIntent ?? 'legacy'}`,
    currency: dispute.currency ?? 'usd',
    payment_intent: dispute.paymentIntent,
    reason: 'fraudulent',
    status: dispute.status ?? (kind === 'created' ? 'needs_response' : 'lost'),
    is_charge_refundable: false,
  });
}

/** The Stripe-Signature header for a payload, made offline by the SDK. */
export function signatureFor(payload: string, opts: { secret?: string; timestamp?: number } = {}): Promise<string> {
  return Stripe.webhooks.generateTestHeaderStringAsync({
    payload,
    secret: opts.secret ?? env.STRIPE_WEBHOOK_SECRET!,
    ...(opts.timestamp !== undefined ? { timestamp: opts.timestamp } : {}),
  });
}

/** Delivers a payload to the webhook as Stripe would: the raw JSON body and its signature. */
export function deliver(payload: string, signature: string | null): Promise<Response> {
  return call(WEBHOOK, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', ...(signature === null ? {} : { 'stripe-signature': signature }) },
    body: payload,
  });
}

/** Signs and delivers an event. */
export async function deliverEvent(event: unknown, opts: { secret?: string; timestamp?: number } = {}): Promise<Response> {
  const payload = JSON.stringify(event, null, 2);
  return deliver(payload, await signatureFor(payload, opts));
}
