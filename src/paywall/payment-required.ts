import type { Context } from 'hono';
import { withPageHeaders } from '../pages/page-headers';
import { PaywallPage } from '../pages/paywall-page';
import { topUpOptionsOf } from '../pages/top-up-buttons';
import { safeReturnPath } from '../reader/return-path';
import { addAgentRefusalHeaders } from './agent-payment';

export type PaymentRequiredReason = 'payment_required' | 'insufficient_balance' | 'daily_cap_reached' | 'price_above_max';

export function wantsJson(c: Context): boolean {
  const accept = c.req.header('accept') ?? '';
  return /application\/([\w.-]+\+)?json/i.test(accept);
}

/** The 402: JSON for API clients, the paywall page for browsers; never cached as content. */
export function paymentRequired(
  c: Context,
  reason: PaymentRequiredReason,
  priceMicros: number,
  balanceMicros: number | null,
  returnTo: string,
): Response | Promise<Response> {
  c.header('Paywall-Price-Micros', String(priceMicros));
  addAgentRefusalHeaders(c, reason, priceMicros);
  c.header('Cache-Control', 'private, no-store');
  c.header('Vary', 'Accept, Authorization, Cookie');
  if (c.req.method === 'HEAD') return c.body(null, 402);
  if (wantsJson(c)) return c.json({ error: reason, priceMicros, balanceMicros }, 402);
  const page = PaywallPage({ reason, priceMicros, balanceMicros, returnTo: safeReturnPath(returnTo), topUps: topUpOptionsOf(c.env) });
  return withPageHeaders(c, () => c.html(page, 402));
}
