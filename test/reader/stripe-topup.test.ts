import { createExecutionContext, reset, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { app } from '../../src/app';
import { balanceOf, call, json, ledgerOf, newReader, type Reader } from '../support/paywall';

afterEach(() => reset());

const TOPUP = '/__paywall/api/topup';

type Received = { params: Record<string, string>; headers: Record<string, string> };

async function topup(reader: Reader | null, body: unknown) {
  return call(TOPUP, json(body, reader?.auth ?? {}));
}

/** What the Stripe stand-in received for the session behind a checkout URL. */
async function sentToStripe(checkoutUrl: string): Promise<Received> {
  const id = checkoutUrl.split('/').pop()!;
  const res = await fetch(`${env.STRIPE_API_BASE}/__standin/sessions/${id}`);
  expect(res.status).toBe(200);
  return res.json();
}

async function withEnv(overrides: Partial<Env>, request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(request, { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe('POST /__paywall/api/topup', () => {
  it('creates a Stripe Checkout session for the reader and answers its URL', async () => {
    const reader = await newReader();
    const res = await topup(reader, { amountMicros: 5_000_000 });
    expect(res.status).toBe(200);
    const { checkoutUrl } = await res.json<{ checkoutUrl: string }>();
    expect(checkoutUrl).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);

    const { params, headers } = await sentToStripe(checkoutUrl);
    expect(headers.authorization).toBe(`Bearer ${env.STRIPE_SECRET_KEY}`);
    expect(params).toMatchObject({
      mode: 'payment',
      client_reference_id: reader.readerId,
      'metadata[paywall_reader_id]': reader.readerId,
      'line_items[0][quantity]': '1',
      'line_items[0][price_data][currency]': 'usd',
      'line_items[0][price_data][unit_amount]': '500',
      'allowed_payment_method_types[0]': 'card',
      success_url: 'http://news.test/__paywall/account?topup=paid',
      cancel_url: 'http://news.test/__paywall/account?topup=cancelled',
    });
  });

  it('credits nothing by itself: only the paid session’s webhook does', async () => {
    const reader = await newReader(1_000);
    expect((await topup(reader, { amountMicros: 10_000_000 })).status).toBe(200);
    expect(await balanceOf(reader)).toBe(1_000);
    expect(await ledgerOf(reader)).toHaveLength(1);
  });

  it('asks Stripe for exactly amountMicros / 10,000 cents, for any whole-cent amount in bounds', async () => {
    const reader = await newReader();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 50, max: 50_000 }), async (cents) => {
        const res = await topup(reader, { amountMicros: cents * 10_000 });
        expect(res.status).toBe(200);
        const { params } = await sentToStripe((await res.json<{ checkoutUrl: string }>()).checkoutUrl);
        expect(params['line_items[0][price_data][unit_amount]']).toBe(String(cents));
      }),
      { numRuns: 20 },
    );
  });

  it('needs a reader: 401 without a token or with a forged one', async () => {
    expect((await topup(null, { amountMicros: 5_000_000 })).status).toBe(401);
    const forged = {
      readerId: 'x',
      token: `r_AAAAAAAAAAAAAAAAAAAAAA.9999999999.${'A'.repeat(43)}`,
      auth: { authorization: `Bearer r_AAAAAAAAAAAAAAAAAAAAAA.9999999999.${'A'.repeat(43)}` },
    };
    expect((await topup(forged, { amountMicros: 5_000_000 })).status).toBe(401);
  });

  it('accepts the bounds themselves: 50 cents (Stripe’s minimum) and $500', async () => {
    const reader = await newReader();
    expect((await topup(reader, { amountMicros: 500_000 })).status).toBe(200);
    expect((await topup(reader, { amountMicros: 500_000_000 })).status).toBe(200);
  });

  it.each([
    ['below Stripe’s 50-cent minimum', 490_000, /at least 500000 micros/],
    ['above the $500 maximum', 500_010_000, /at most 500000000 micros/],
    ['not a whole number of cents', 1_005_000, /whole number of cents/],
    ['one micro', 1, /whole number of cents/],
    ['zero', 0, /at least/],
    ['negative', -5_000_000, /negative/],
    ['a float', 5_000_000.5, /integer/],
    ['a string', '5000000', /number/],
    ['null', null, /number/],
    ['beyond the safe integers', 1e400, /./],
  ])('refuses an amount %s with a 400 naming amountMicros', async (_, amountMicros, message) => {
    const reader = await newReader();
    const res = await call(TOPUP, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...reader.auth },
      body: `{"amountMicros":${amountMicros === 1e400 ? '1e400' : JSON.stringify(amountMicros)}}`,
    });
    expect(res.status).toBe(400);
    const body = await res.json<{ field: string; message: string }>();
    expect(body.field).toBe('amountMicros');
    expect(body.message).toMatch(message);
  });

  it('refuses a body without amountMicros or with unknown fields', async () => {
    const reader = await newReader();
    expect((await topup(reader, {})).status).toBe(400);
    expect((await topup(reader, { amountMicros: 5_000_000, currency: 'eur' })).status).toBe(400);
  });

  it('is a clear 503 while STRIPE_SECRET_KEY is unset', async () => {
    const reader = await newReader();
    const res = await withEnv(
      { STRIPE_SECRET_KEY: undefined },
      new Request(`http://news.test${TOPUP}`, json({ amountMicros: 5_000_000 }, reader.auth)),
    );
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: 'topup_unavailable', message: expect.stringContaining('STRIPE_SECRET_KEY') });
  });

  it('is a 502 when Stripe refuses the call, and nothing changes', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const reader = await newReader();
    const res = await withEnv(
      { STRIPE_SECRET_KEY: 'sk_test_revoked' },
      new Request(`http://news.test${TOPUP}`, json({ amountMicros: 5_000_000 }, reader.auth)),
    );
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: 'payment_provider_error' });
    expect(await balanceOf(reader)).toBe(0);
    error.mockRestore();
  });
});
