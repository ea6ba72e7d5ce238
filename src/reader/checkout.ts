import type Stripe from 'stripe';
import { log } from '../http/log';
import { MICROS_PER_CENT, usdForPeople } from '../money';
import { loadStripe } from './stripe-client';

export type CheckoutRequest = {
  readerId: string;
  /** Whole cents, already validated by `topupMicros`. */
  amountMicros: number;
  /** The origin the reader uses, e.g. https://news.example: Stripe sends the reader back there. */
  siteOrigin: string;
  returnTo: string | null;
};

export type CheckoutResult = { ok: true; url: string; sessionId: string } | { ok: false; message: string };

/**
 * A Stripe Checkout session that tops the reader's balance up. The reader is named in
 * `client_reference_id` (what the webhook credits) and in metadata (what a person sees
 * in the Stripe dashboard). Card only, so that a completed session is a paid one and
 * the balance is usable at once.
 */
export async function createTopupCheckout(stripe: Stripe, req: CheckoutRequest): Promise<CheckoutResult> {
  const back = (topup: string) => {
    const params = new URLSearchParams({ topup });
    if (req.returnTo) params.set('return', req.returnTo);
    return `${req.siteOrigin}/__paywall/account?${params}`;
  };
  try {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      // Cards (wallets such as Apple Pay included) settle at once; bank debits would complete unpaid.
      allowed_payment_method_types: ['card'],
      line_items: [
        {
          quantity: 1,
          price_data: {
            currency: 'usd',
            unit_amount: req.amountMicros / MICROS_PER_CENT,
            product_data: { name: `Reading balance top-up (${usdForPeople(req.amountMicros)})` },
          },
        },
      ],
      client_reference_id: req.readerId,
      metadata: { paywall_reader_id: req.readerId },
      payment_intent_data: { metadata: { paywall_reader_id: req.readerId } },
      success_url: back('paid'),
      cancel_url: back('cancelled'),
    });
    if (!session.url) return { ok: false, message: 'Stripe returned a Checkout session without a URL.' };
    return { ok: true, url: session.url, sessionId: session.id };
  } catch (e) {
    if (!(e instanceof (await loadStripe()).errors.StripeError)) throw e;
    log('error', 'stripe_checkout_failed', { readerId: req.readerId, type: e.type, statusCode: e.statusCode, message: e.message });
    return { ok: false, message: 'The payment provider could not start a checkout; nothing was charged. Please try again.' };
  }
}
