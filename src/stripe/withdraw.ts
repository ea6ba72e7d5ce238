import type Stripe from 'stripe';
import { log } from '../http/log';
import { MICROS_PER_CENT } from '../money';
import { loadStripe, stripeFor } from '../reader/stripe-client';
import { walletOf } from '../wallet/wallet-stub';
import type { WithdrawalPart } from '../wallet/wallet-types';

/** A part younger than this may still be in flight in another request; older ones are finished by whoever comes next. */
const IN_FLIGHT_MS = 60_000;

export type PartOutcome = 'done' | 'void' | 'pending';

export type WithdrawOutcome =
  | { ok: true; withdrawalId: string; withdrawnMicros: number; pendingMicros: number; returnedMicros: number; balanceMicros: number }
  | { ok: false; reason: 'not_configured' | 'no_such_reader' | 'invalid_amount' | 'not_withdrawable'; withdrawableMicros: number };

/** The key Stripe dedupes a part's refund by: a retry, by us or by the SDK, never refunds twice. */
export const refundIdempotencyKey = (partId: string) => `paywall-withdrawal-${partId}`;

/**
 * Refunds unspent card money to the reader's card. The wallet first writes the
 * withdrawal (pending parts); only then is Stripe called, from the Worker, never from
 * inside the Durable Object, so no fetch sits between the wallet's check and its write.
 * Each part is then confirmed (Stripe refunded it) or voided (Stripe refused it for good,
 * and the money returns to the balance); an answer that never came leaves it pending,
 * to be finished with the same idempotency key.
 */
export async function withdraw(env: Env, readerId: string, amountMicros: number): Promise<WithdrawOutcome> {
  const stripe = await stripeFor(env);
  if (!stripe) return { ok: false, reason: 'not_configured', withdrawableMicros: 0 };
  const wallet = walletOf(env, readerId);
  await finishPendingWithdrawals(env, readerId);
  const begun = await wallet.beginWithdrawal(amountMicros);
  if (!begun.ok) return begun;
  const outcomes = await Promise.all(
    begun.parts.map(async (part) => [part, await refundPart(env, stripe, readerId, part, false)] as const),
  );
  const sum = (want: PartOutcome) => outcomes.filter(([, o]) => o === want).reduce((s, [p]) => s + p.amountMicros, 0);
  return {
    ok: true,
    withdrawalId: begun.withdrawalId,
    withdrawnMicros: sum('done'),
    pendingMicros: sum('pending'),
    returnedMicros: sum('void'),
    balanceMicros: (await wallet.summary()).balanceMicros,
  };
}

/** Finishes parts left pending by a crash or a Stripe outage. Safe to call at any time, from anywhere. */
export async function finishPendingWithdrawals(env: Env, readerId: string, olderThanMs = IN_FLIGHT_MS): Promise<PartOutcome[]> {
  const stripe = await stripeFor(env);
  if (!stripe) return [];
  const parts = await walletOf(env, readerId).pendingWithdrawalParts(olderThanMs);
  return Promise.all(parts.map((part) => refundPart(env, stripe, readerId, part, true)));
}

async function refundPart(env: Env, stripe: Stripe, readerId: string, part: WithdrawalPart, resuming: boolean): Promise<PartOutcome> {
  const wallet = walletOf(env, readerId);
  let refund: Stripe.Refund;
  try {
    // Stripe forgets idempotency keys after a day: a part being finished late is looked for first.
    const made = resuming ? await findRefund(stripe, part) : null;
    refund =
      made ??
      (await stripe.refunds.create(
        {
          payment_intent: part.paymentIntent,
          amount: part.amountMicros / MICROS_PER_CENT,
          reason: 'requested_by_customer',
          metadata: { paywall_reader_id: readerId, paywall_withdrawal_part: part.partId },
        },
        { idempotencyKey: refundIdempotencyKey(part.partId) },
      ));
  } catch (e) {
    if (await isFinalRefusal(e)) {
      const message = e instanceof Error ? e.message : String(e);
      log('warn', 'withdrawal_refused', { partId: part.partId, message, outcome: 'money returned to the balance' });
      await wallet.voidWithdrawalPart(part.partId, message);
      return 'void';
    }
    log('error', 'withdrawal_unanswered', { partId: part.partId, outcome: 'the part stays pending and is finished later', error: e });
    return 'pending';
  }
  if (refund.status === 'failed' || refund.status === 'canceled') {
    await wallet.voidWithdrawalPart(part.partId, `the refund ${refund.status}`);
    return 'void';
  }
  await wallet.confirmWithdrawalPart(part.partId, refund.id);
  return 'done';
}

async function findRefund(stripe: Stripe, part: WithdrawalPart): Promise<Stripe.Refund | null> {
  const list = await stripe.refunds.list({ payment_intent: part.paymentIntent, limit: 100 });
  return list.data.find((r) => r.metadata?.paywall_withdrawal_part === part.partId) ?? null;
}

/**
 * A refusal that a retry cannot change: Stripe's 4xx for the request itself (the charge
 * already refunded, disputed, or the amount too large). A 409 (the same key in flight),
 * a 429, a 5xx or no answer at all may have been, or may yet be, a refund: pending.
 */
async function isFinalRefusal(e: unknown): Promise<boolean> {
  const StripeSdk = await loadStripe();
  if (!(e instanceof StripeSdk.errors.StripeError)) return false;
  const status = e.statusCode ?? 0;
  return status >= 400 && status < 500 && status !== 409 && status !== 429 && !(e instanceof StripeSdk.errors.StripeConnectionError);
}
