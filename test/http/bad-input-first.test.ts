import { createExecutionContext, reset, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { app } from '../../src/app';
import { ADMIN, adminCall, call, HOST, json, newReader, siteDoc, WALLET_HOST, walletCookie } from '../support/paywall';

/**
 * The contract: bad input is judged before configuration. A malformed request is a 400
 * naming the field even where the feature it asks for is not configured, and no input
 * makes the worker answer 500.
 */

afterEach(() => reset());

async function withEnv(overrides: Partial<Env>, request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(request, { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

type ErrorBody = { error: string; field?: string; issues?: { path: string; message: string }[] };

describe('a site document whose origin is not a URL', () => {
  it('is a 400 invalid_site naming origin, never a 500, and nothing is written', async () => {
    const error = vi.spyOn(console, 'error');
    for (const origin of [
      'not a url',
      '',
      'http//origin.test',
      'http://',
      '://origin.test',
      'origin.test',
      'javascript:alert(1)',
      'ftp://origin.test',
      42,
      null,
      {},
      [],
    ]) {
      const res = await adminCall(`/__paywall/api/admin/sites/${HOST}`, {
        ...json(siteDoc([{ pattern: '/*', priceMicros: 0 }], HOST, origin as string), ADMIN),
        method: 'PUT',
      });
      expect(res.status, JSON.stringify(origin)).toBe(400);
      const body = await res.json<ErrorBody>();
      expect(body.error).toBe('invalid_site');
      expect(
        body.issues?.map((i) => i.path),
        JSON.stringify(origin),
      ).toContain('origin');
    }
    expect((await adminCall(`/__paywall/api/admin/sites/${HOST}`, { headers: ADMIN })).status).toBe(404);
    expect(error.mock.calls.filter((args) => String(args[0]).includes('unhandled'))).toEqual([]);
  });
});

describe('a card top-up while Stripe is not configured', () => {
  it('is a 400 naming the field for a malformed body, and a 503 only for a good one', async () => {
    const reader = await newReader();
    const topup = (body: string) =>
      withEnv(
        { STRIPE_SECRET_KEY: undefined },
        new Request(`http://${HOST}/__paywall/api/topup`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...reader.auth },
          body,
        }),
      );
    for (const body of [
      {},
      { amountMicros: 1.5 },
      { amountMicros: '5000000' },
      { amountMicros: -1 },
      { amountMicros: 1 },
      { amountMicros: 5_000_000, currency: 'eur' },
    ]) {
      const res = await topup(JSON.stringify(body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await res.json<ErrorBody>()).field, JSON.stringify(body)).toBe('currency' in body ? 'currency' : 'amountMicros');
    }
    const broken = await topup('{"amountMicros":');
    expect(broken.status).toBe(400);
    const good = await topup(JSON.stringify({ amountMicros: 5_000_000 }));
    expect(good.status).toBe(503);
    expect((await good.json<ErrorBody>()).error).toBe('topup_unavailable');
  });

  it('on the account page (the wallet host), an amount that is not one is a 400 naming it before the 503', async () => {
    const reader = await newReader();
    const form = (amount: string) =>
      withEnv(
        { STRIPE_SECRET_KEY: undefined },
        new Request(`http://${WALLET_HOST}/__paywall/account/topup`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: `http://${WALLET_HOST}`, ...walletCookie(reader) },
          body: new URLSearchParams({ amount }),
        }),
      );
    const bad = await form('lots');
    expect(bad.status).toBe(400);
    await bad.text();
    const good = await form('7.50');
    expect(good.status).toBe(503);
    expect(await good.text()).toContain('Card top-ups are not available on this site yet.');
  });
});

describe('a Stripe webhook while STRIPE_WEBHOOK_SECRET is not configured', () => {
  const deliver = (headers: Record<string, string>) =>
    withEnv(
      { STRIPE_WEBHOOK_SECRET: undefined },
      new Request(`http://${HOST}/__paywall/webhooks/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{"id":"evt_1"}',
      }),
    );

  it('is a 400 naming Stripe-Signature when it is missing or malformed, and a 503 only for a well-formed one', async () => {
    for (const headers of [
      {} as Record<string, string>,
      { 'stripe-signature': '' },
      { 'stripe-signature': 'garbage' },
      { 'stripe-signature': 't=abc,v1=' },
      { 'stripe-signature': 'v1=deadbeef' },
    ]) {
      const res = await deliver(headers);
      expect(res.status, JSON.stringify(headers)).toBe(400);
      const body = await res.json<ErrorBody>();
      expect(body.field, JSON.stringify(headers)).toBe('Stripe-Signature');
    }
    const wellFormed = await deliver({ 'stripe-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'ab'.repeat(32)}` });
    expect(wellFormed.status).toBe(503);
    await wellFormed.arrayBuffer();
  });
});

describe('a view', () => {
  it('with a path that cannot be served safely is a 400 even on a site whose configuration is broken', async () => {
    await env.KV.put('site:broken.test', '{ not json');
    const bad = await call('/free/..%2fpremium/x', { headers: { accept: 'application/json' } }, 'broken.test');
    expect(bad.status).toBe(400);
    expect((await bad.json<ErrorBody>()).error).toBe('invalid_path');
    const good = await call('/free/x', { headers: { accept: 'application/json' } }, 'broken.test');
    expect(good.status).toBe(503);
    await good.arrayBuffer();
  });
});
