import { Hono } from 'hono';
import { AppError } from '../http/app-error';
import { bodyLimit } from 'hono/body-limit';
import type Stripe from 'stripe';
import { z } from 'zod';
import type { AppEnv } from '../http/app-types';
import { log } from '../http/log';
import { MICROS_PER_CENT } from '../money';
import { walletOf } from '../wallet/wallet-stub';
import { isReaderId } from './reader-token';
import { loadStripe, webhookCrypto } from './stripe-client';
import { stripeIdempotencyKey } from '../storage/kv-keys';
import { applyFact, factOf, isTakeBackEvent, linkPayment } from '../stripe/money-taken-back';

/** Stripe's header: a timestamp and at least one v1 signature (hex), in any order, comma-separated. */
const STRIPE_SIGNATURE = /^(?=(?:.*,)?t=\d+(?:,|$))(?=(?:.*,)?v1=[0-9a-f]+(?:,|$))[a-z0-9]+=[^,]+(?:,[a-z0-9]+=[^,]+)*$/;

/** The fields of a Checkout session that decide a credit. */
const paidSession = z.object({
  id: z.string().min(1).max(255),
  client_reference_id: z.string().nullable().optional(),
  amount_total: z
    .number()
    .int()
    .nonnegative()
    .max(Math.floor(Number.MAX_SAFE_INTEGER / MICROS_PER_CENT))
    .nullable(),
  currency: z.string().nullable().optional(),
  payment_status: z.string(),
  payment_intent: z.string().min(1).max(255).nullable().optional(),
});

/**
 * `POST /__paywall/webhooks/stripe`. A `checkout.session.completed` that is paid
 * credits `amount_total` cents to the reader in `client_reference_id`, once per session:
 * the wallet keeps `stripe:<session id>` as the credit's idempotency key, and a wallet
 * handles one call at a time, so redeliveries and concurrent deliveries find it.
 *
 * Answers: 400 for a bad, stale or missing signature (nothing credited); 5xx when the
 * credit could not be made for a passing reason, so Stripe retries; 200 otherwise,
 * including for sessions that can never be credited (see `creditSession`).
 */
export const stripeWebhook = new Hono<AppEnv>().post(
  '/',
  bodyLimit({
    maxSize: 256 * 1024,
    onError: () => {
      throw new AppError('body_too_large', 'The request body must be at most 256 KiB.');
    },
  }),
  async (c) => {
    // Bad input is judged before configuration (the contract): a missing or malformed
    // signature is a 400 even while the secret is unset.
    const signature = c.req.header('stripe-signature');
    if (!signature || !STRIPE_SIGNATURE.test(signature)) {
      throw new AppError('invalid_signature', 'The Stripe-Signature header is missing or malformed (t=<timestamp>,v1=<hex>).', {
        field: 'Stripe-Signature',
      });
    }
    const secret = c.env.STRIPE_WEBHOOK_SECRET;
    if (!secret) throw new AppError('not_configured', 'STRIPE_WEBHOOK_SECRET is not set on this worker.');
    const payload = await c.req.text();

    const StripeSdk = await loadStripe();
    let event: Stripe.Event;
    try {
      // Default tolerance: a signature older than five minutes is refused, which stops replays.
      event = await StripeSdk.webhooks.constructEventAsync(payload, signature, secret, undefined, await webhookCrypto());
    } catch (e) {
      if (e instanceof StripeSdk.errors.StripeSignatureVerificationError) {
        throw new AppError('invalid_signature', `The Stripe signature does not verify: ${e.message.split('\n')[0]}`);
      }
      if (e instanceof SyntaxError) throw new AppError('invalid_event', 'The signed payload is not JSON.');
      throw e;
    }

    if (isTakeBackEvent(event.type)) {
      const read = factOf(event.type, event.data?.object);
      if (!read.ok)
        throw new AppError(
          'invalid_event',
          `The event carries no readable ${event.type.startsWith('charge.dispute') ? 'dispute' : 'charge'}.`,
        );
      if (!read.fact) return c.json({ received: true, handled: false, reason: read.note });
      return c.json({ received: true, ...(await applyFact(c.env, read.fact)) });
    }
    if (event.type !== 'checkout.session.completed') return c.json({ received: true, handled: false });
    const session = paidSession.safeParse(event.data?.object);
    if (!session.success) throw new AppError('invalid_event', 'The event carries no readable Checkout session.');
    return c.json({ received: true, ...(await creditSession(c.env, event.id, session.data)) });
  },
);

type Outcome = { handled: boolean; credited: boolean; reason?: string };

/**
 * An unknown reader is answered 200 with the failure logged as an error, not a 4xx:
 * reader ids are random and a wallet exists from the moment its id is issued, before
 * any Checkout session can name it, so no retry could ever succeed. Retrying for days
 * would only get the endpoint flagged and delay every other event; the payment needs
 * a person (a refund in the Stripe dashboard), and the log line says which one.
 * The same holds for a session in another currency or over the balance limit.
 */
async function creditSession(env: Env, eventId: string, session: z.infer<typeof paidSession>): Promise<Outcome> {
  if (session.payment_status !== 'paid') return { handled: false, credited: false, reason: 'not_paid' };
  const readerId = session.client_reference_id;
  if (!readerId || !isReaderId(readerId)) {
    // Not a paywall top-up: the publisher's Stripe account may sell other things.
    log('warn', 'stripe_session_not_a_topup', { sessionId: session.id, eventId });
    return { handled: false, credited: false, reason: 'not_a_topup' };
  }
  // Only cents Stripe says are US cents are credited: a missing currency is not taken for dollars.
  if (session.currency?.toLowerCase() !== 'usd') {
    log('error', 'stripe_topup_not_credited', {
      why: 'not in USD; refund it',
      sessionId: session.id,
      eventId,
      readerId,
      currency: session.currency,
      amountTotal: session.amount_total,
    });
    return { handled: true, credited: false, reason: 'unsupported_currency' };
  }
  const cents = session.amount_total ?? 0;
  const result = await walletOf(env, readerId).credit({
    type: 'topup',
    amountMicros: cents * MICROS_PER_CENT,
    reason: `card top-up (Stripe ${session.id})`,
    idempotencyKey: stripeIdempotencyKey(session.id),
    ...(session.payment_intent ? { paymentIntent: session.payment_intent } : {}),
  });
  if (!result.ok) {
    log('error', 'stripe_topup_not_credited', { why: `${result.reason}; refund it`, sessionId: session.id, eventId, readerId, cents });
    return { handled: true, credited: false, reason: result.reason === 'no_such_reader' ? 'unknown_reader' : result.reason };
  }
  if (session.payment_intent) await linkPayment(env, session.payment_intent, readerId);
  return { handled: true, credited: !result.duplicate };
}
