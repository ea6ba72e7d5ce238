import { Hono } from 'hono';
import { AppError } from '../http/app-error';
import { z } from 'zod';
import type { AppEnv } from '../http/app-types';
import { validated } from '../http/json-errors';
import { createTopupCheckout } from './checkout';
import { requireWalletOwner } from './reader-routes';
import { stripeConfigured, stripeFor } from './stripe-client';
import { topupMicros } from './topup-amount';

/** `POST /__paywall/api/topup`: a Stripe Checkout session for the reader; the webhook credits it once paid. */
export const topupRoutes = new Hono<AppEnv>().post(
  '/topup',
  requireWalletOwner,
  // Bad input is judged before configuration (the contract): a malformed body is a 400 even here.
  validated('json', z.strictObject({ amountMicros: topupMicros })),
  async (c, next) => {
    if (stripeConfigured(c.env)) return next();
    throw new AppError('topup_unavailable', 'Card top-ups are not configured on this worker (STRIPE_SECRET_KEY is not set).');
  },
  async (c) => {
    const checkout = await createTopupCheckout((await stripeFor(c.env))!, {
      readerId: c.var.readerId,
      amountMicros: c.req.valid('json').amountMicros,
      siteOrigin: new URL(c.req.url).origin,
      returnTo: null,
    });
    if (!checkout.ok) throw new AppError('payment_provider_error', checkout.message);
    return c.json({ checkoutUrl: checkout.url });
  },
);
