import { reset } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkoutCompleted, deliverEvent } from '../support/stripe-events';
import { balanceOf, ledgerOf, newReader } from '../support/paywall';

afterEach(() => reset());

/**
 * Balances are dollars. A Checkout session credits `amount_total` cents only when Stripe
 * says they are US cents: a missing currency is not taken for dollars.
 */
describe('a paid Checkout session that does not say it is in dollars', () => {
  it('credits nothing, and says so in the log, for currency null, missing, empty or another', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const reader = await newReader();
    for (const currency of [null, undefined, '', 'eur', 'usdc', 'USD ']) {
      const event = checkoutCompleted({ id: `cs_test_${crypto.randomUUID()}`, client_reference_id: reader.readerId, amount_total: 500 });
      const session = event.data.object as Record<string, unknown>;
      if (currency === undefined) delete session.currency;
      else session.currency = currency;
      const res = await deliverEvent(event);
      expect(res.status, String(currency)).toBe(200);
      expect(await res.json(), String(currency)).toMatchObject({ credited: false, reason: 'unsupported_currency' });
    }
    expect(await balanceOf(reader)).toBe(0);
    expect(await ledgerOf(reader)).toEqual([]);
    expect(error.mock.calls.filter((args) => String(args[0]).includes('not in USD'))).toHaveLength(6);
  });

  it('in USD, written in any case, is credited', async () => {
    const reader = await newReader();
    const event = checkoutCompleted({
      id: `cs_test_${crypto.randomUUID()}`,
      client_reference_id: reader.readerId,
      amount_total: 500,
      currency: 'USD',
    });
    expect((await deliverEvent(event)).status).toBe(200);
    expect(await balanceOf(reader)).toBe(5_000_000);
  });
});
