import { createExecutionContext, reset, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { app } from '../../src/app';
import {
  balanceOf,
  call,
  expectedOriginSecret,
  json,
  ledgerOf,
  newReader,
  putSite,
  siteDoc,
  useStandardSite,
  view,
  type Reader,
} from '../support/paywall';

type Echo = { method: string; path: string; headers: Record<string, string> };

beforeEach(() => useStandardSite());
afterEach(() => reset());

const charged = (res: Response) => res.headers.get('paywall-charged-micros');

describe('free paths', () => {
  it('proxies to the origin and charges nothing, with or without a reader', async () => {
    const reader = await newReader(5000);
    for (const who of [null, reader]) {
      const res = await view('/about?x=1', who);
      expect(res.status).toBe(200);
      expect(charged(res)).toBeNull();
      expect((await res.json<Echo>()).path).toBe('/about?x=1');
    }
    expect(await balanceOf(reader)).toBe(5000);
  });
});

describe('priced paths, the reader can pay', () => {
  it('answers the origin’s content with the charge, the balance and a receipt, never cacheable', async () => {
    const reader = await newReader(10_000);
    const res = await view('/premium/report?page=2', reader);
    expect(res.status).toBe(200);
    expect(charged(res)).toBe('10000');
    expect(res.headers.get('paywall-balance-micros')).toBe('0');
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    const echo = await res.json<Echo>();
    expect(echo.path).toBe('/premium/report?page=2');
    const [entry] = await ledgerOf(reader);
    expect(res.headers.get('paywall-receipt')).toBe(entry!.id);
    expect(entry).toMatchObject({ type: 'charge', amountMicros: 10_000, balanceAfterMicros: 0, path: '/premium/report' });
  });

  it('never passes the reader’s paywall credentials to the origin, and tells it the request came through', async () => {
    const reader = await newReader(10_000);
    const res = await call('/premium/x', {
      headers: { accept: 'application/json', cookie: `theme=dark; paywall_token=${reader.token}` },
    });
    expect(res.status).toBe(200);
    const echo = await res.json<Echo>();
    expect(echo.headers.cookie).toBe('theme=dark');
    expect(echo.headers.authorization).toBeUndefined();
    expect(echo.headers['paywall-origin-secret']).toBe(await expectedOriginSecret());
  });

  it('does not let the origin forge the paywall’s headers', async () => {
    const reader = await newReader(10_000);
    const res = await view('/about', reader); // the test origin sends paywall-charged-micros: 0
    expect(charged(res)).toBeNull();
  });

  it('charges every view when the rule has no re-view window', async () => {
    const reader = await newReader(30_000);
    for (let i = 0; i < 3; i++) expect(charged(await view('/premium/a', reader))).toBe('10000');
    expect(await balanceOf(reader)).toBe(0);
  });
});

describe('re-view windows', () => {
  it('lets the same reader view the same path free inside the window, ignoring case and one trailing slash', async () => {
    const reader = await newReader(10_000);
    const first = await view('/articles/one', reader);
    expect(charged(first)).toBe('2500');
    for (const path of ['/articles/one', '/Articles/ONE', '/articles/one/']) {
      const again = await view(path, reader);
      expect(again.status).toBe(200);
      expect(charged(again), path).toBe('0');
      expect(again.headers.get('paywall-receipt')).toBe(first.headers.get('paywall-receipt'));
      expect(again.headers.get('cache-control')).toBe('private, no-store');
    }
    expect(charged(await view('/articles/two', reader))).toBe('2500');
    expect(await balanceOf(reader)).toBe(5000);
  });

  it('is per reader', async () => {
    const [a, b] = await Promise.all([newReader(10_000), newReader(10_000)]);
    await view('/articles/one', a);
    expect(charged(await view('/articles/one', b))).toBe('2500');
  });

  it('charges concurrent views of one path by one reader once', async () => {
    const reader = await newReader(10_000);
    const results = await Promise.all(Array.from({ length: 20 }, () => view('/articles/same', reader)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(results.map(charged).filter((c) => c === '2500')).toHaveLength(1);
    expect(await balanceOf(reader)).toBe(7500);
  });

  it('opens no window when the origin fails, so the next view is charged', async () => {
    await putSite(
      siteDoc([
        { pattern: '/status/:code/*', priceMicros: 1000, reviewWindowSeconds: 3600 },
        { pattern: '/*', priceMicros: 1000, reviewWindowSeconds: 3600 },
      ]),
    );
    const reader = await newReader(5000);
    expect((await view('/status/500/a', reader)).status).toBe(500);
    expect(await balanceOf(reader)).toBe(5000);
    expect(charged(await view('/status/200/a', reader))).toBe('1000');
  });
});

describe('priced paths, the reader cannot pay', () => {
  it('402s without a token, with the price and a null balance', async () => {
    const res = await view('/premium/a', null);
    expect(res.status).toBe(402);
    expect(res.headers.get('paywall-price-micros')).toBe('10000');
    expect(await res.json()).toEqual({ error: 'payment_required', priceMicros: 10_000, balanceMicros: null });
  });

  it('402s a bad token as no reader', async () => {
    const res = await view('/premium/a', null, { authorization: 'Bearer forged.123.abc' });
    expect(res.status).toBe(402);
    expect((await res.json<{ error: string }>()).error).toBe('payment_required');
  });

  it('402s a short balance, charging nothing', async () => {
    const reader = await newReader(9_999);
    const res = await view('/premium/a', reader);
    expect(res.status).toBe(402);
    expect(await res.json()).toEqual({ error: 'insufficient_balance', priceMicros: 10_000, balanceMicros: 9_999 });
    expect(await balanceOf(reader)).toBe(9_999);
  });

  it('402s once the daily cap is reached', async () => {
    const reader = await newReader(100_000);
    await call('/__paywall/api/me/settings', { ...json({ dailyCapMicros: 12_000 }, reader.auth), method: 'PUT' });
    expect(charged(await view('/premium/a', reader))).toBe('10000');
    const refused = await view('/premium/b', reader);
    expect(refused.status).toBe(402);
    expect((await refused.json<{ error: string }>()).error).toBe('daily_cap_reached');
    // 10,000 + 2,500 would pass the 12,000 cap too.
    expect((await view('/articles/cheap', reader)).status).toBe(402);
    expect(await balanceOf(reader)).toBe(90_000);
  });

  it('402s a price above Paywall-Max-Price-Micros, and 400s a malformed one', async () => {
    const reader = await newReader(100_000);
    const above = await view('/premium/a', reader, { 'paywall-max-price-micros': '9999' });
    expect(above.status).toBe(402);
    expect(await above.json()).toEqual({ error: 'price_above_max', priceMicros: 10_000, balanceMicros: 100_000 });
    expect(charged(await view('/premium/a', reader, { 'paywall-max-price-micros': '10000' }))).toBe('10000');
    for (const bad of ['-1', '1.5', 'abc', '1e3', '99999999999999999999']) {
      expect((await view('/premium/a', reader, { 'paywall-max-price-micros': bad })).status, bad).toBe(400);
    }
    expect(await balanceOf(reader)).toBe(90_000);
  });

  it('shows browsers an HTML paywall page with the price, the balance and a way to top up', async () => {
    const reader = await newReader(1000);
    const res = await call('/premium/a', { headers: { accept: 'text/html', ...reader.auth } });
    expect(res.status).toBe(402);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    const html = await res.text();
    expect(html).toContain('$0.01');
    expect(html).toContain('$0.001');
    expect(html).toContain('/__paywall/account');
  });
});

describe('the origin fails', () => {
  let reader: Reader;
  beforeEach(async () => {
    reader = await newReader(10_000);
  });

  it('passes a non-2xx status through and charges nothing', async () => {
    for (const status of [404, 500, 503, 302]) {
      const res = await view(`/status/${status}/paid`, reader);
      expect(res.status).toBe(status);
      expect(charged(res)).toBeNull();
    }
    expect(await balanceOf(reader)).toBe(10_000);
  });

  it('answers 504 on a timeout and 502 on a reset, charging nothing', async () => {
    expect((await view('/slow/paid', reader)).status).toBe(504);
    expect((await view('/reset/paid', reader)).status).toBe(502);
    expect(await balanceOf(reader)).toBe(10_000);
    expect(await ledgerOf(reader)).toHaveLength(1);
  });

  it('refunds a charge whose body broke off before the reader had it', async () => {
    const res = await view('/broken-body/paid', reader);
    await res.text().catch(() => undefined);
    await expect.poll(() => balanceOf(reader)).toBe(10_000);
    const [refund, charge] = await ledgerOf(reader);
    expect(refund).toMatchObject({ type: 'refund', amountMicros: 1000, balanceAfterMicros: 10_000 });
    expect(charge).toMatchObject({ type: 'charge', amountMicros: 1000 });
  });
});

describe('Idempotency-Key', () => {
  it('does not replay a refunded view for free: a retry after a broken body is charged again', async () => {
    const reader = await newReader(10_000);
    const first = await view('/broken-body/paid', reader, { 'idempotency-key': 'b' });
    expect(charged(first)).toBe('1000');
    await first.text().catch(() => undefined);
    await expect.poll(() => balanceOf(reader)).toBe(10_000);
    const retry = await view('/broken-body/paid', reader, { 'idempotency-key': 'b' });
    expect(charged(retry)).toBe('1000');
    expect(retry.headers.get('idempotency-replayed')).toBeNull();
    expect(retry.headers.get('paywall-receipt')).not.toBe(first.headers.get('paywall-receipt'));
    await retry.text().catch(() => undefined);
    await expect.poll(() => balanceOf(reader)).toBe(10_000);
  });

  it('charges the same key from the same reader once, answering the same receipt', async () => {
    const reader = await newReader(30_000);
    const first = await view('/premium/a', reader, { 'idempotency-key': 'k-1' });
    const retry = await view('/premium/a', reader, { 'idempotency-key': 'k-1' });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('paywall-receipt')).toBe(first.headers.get('paywall-receipt'));
    expect(await balanceOf(reader)).toBe(20_000);
    expect(charged(await view('/premium/a', reader, { 'idempotency-key': 'k-2' }))).toBe('10000');
  });

  it('charges concurrent requests with one key once', async () => {
    const reader = await newReader(100_000);
    const results = await Promise.all(Array.from({ length: 10 }, () => view('/premium/a', reader, { 'idempotency-key': 'same' })));
    expect(new Set(results.map((r) => r.headers.get('paywall-receipt'))).size).toBe(1);
    expect(await balanceOf(reader)).toBe(90_000);
  });

  it('is per reader', async () => {
    const [a, b] = await Promise.all([newReader(10_000), newReader(10_000)]);
    await view('/premium/a', a, { 'idempotency-key': 'k' });
    expect(charged(await view('/premium/a', b, { 'idempotency-key': 'k' }))).toBe('10000');
  });

  it('refuses a key reused for another path with 409, and a malformed key with 400', async () => {
    const reader = await newReader(30_000);
    await view('/premium/a', reader, { 'idempotency-key': 'k' });
    expect((await view('/premium/b', reader, { 'idempotency-key': 'k' })).status).toBe(409);
    expect((await view('/premium/b', reader, { 'idempotency-key': 'x'.repeat(256) })).status).toBe(400);
    expect(await balanceOf(reader)).toBe(20_000);
  });

  it('does not consume the key when the origin failed, so the retry is charged', async () => {
    const reader = await newReader(10_000);
    expect((await view('/status/500/paid', reader, { 'idempotency-key': 'r' })).status).toBe(500);
    expect(charged(await view('/status/200/paid', reader, { 'idempotency-key': 'r' }))).toBe('1000');
  });
});

describe('HEAD', () => {
  it('never charges; 402 on a priced path unless a re-view window covers it', async () => {
    const reader = await newReader(10_000);
    expect((await view('/articles/one', reader, {}, 'HEAD')).status).toBe(402);
    expect((await view('/articles/one', null, {}, 'HEAD')).status).toBe(402);
    expect(await balanceOf(reader)).toBe(10_000);
    await view('/articles/one', reader);
    const covered = await view('/articles/one', reader, {}, 'HEAD');
    expect(covered.status).toBe(200);
    expect(charged(covered)).toBe('0');
    expect(await covered.text()).toBe('');
    expect((await view('/premium/a', reader, {}, 'HEAD')).status).toBe(402);
    expect(await balanceOf(reader)).toBe(7500);
  });

  it('passes free paths through', async () => {
    expect((await view('/about', null, {}, 'HEAD')).status).toBe(200);
  });
});

describe('concurrency', () => {
  it('200 concurrent views against a balance that covers 10 give exactly 10 charges and a zero balance', async () => {
    const reader = await newReader(100_000);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => view(`/premium/${i}`, reader)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(10);
    expect(results.filter((r) => r.status === 402)).toHaveLength(190);
    expect(await balanceOf(reader)).toBe(0);
    const charges = (await ledgerOf(reader)).filter((e) => e.type === 'charge');
    expect(charges).toHaveLength(10);
    expect(new Set(charges.map((c) => c.id)).size).toBe(10);
  });
});

describe('sites', () => {
  it('404s a host with no site when DEFAULT_SITE is unset', async () => {
    const res = await call('/articles/x', { headers: { accept: 'application/json' } }, 'unknown.test');
    expect(res.status).toBe(404);
  });

  it('uses DEFAULT_SITE for a host with no site', async () => {
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request('http://127.0.0.1:8787/premium/a', { headers: { accept: 'application/json' } }),
      { ...env, DEFAULT_SITE: 'news.test' },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(402);
    expect(res.headers.get('paywall-price-micros')).toBe('10000');
  });

  it('uses the first matching rule; no match is free', async () => {
    await putSite(
      siteDoc([
        { pattern: '/a/special', priceMicros: 7 },
        { pattern: '/a/*', priceMicros: 5 },
      ]),
    );
    expect((await view('/a/special', null)).headers.get('paywall-price-micros')).toBe('7');
    expect((await view('/A/Other/', null)).headers.get('paywall-price-micros')).toBe('5');
    expect((await view('/b', null)).status).toBe(200);
  });

  it('400s a path that cannot be normalised safely', async () => {
    for (const path of ['/premium%2fa', '/premium/%252e', '/a;b/c', '/x/%00']) {
      expect((await view(path, null)).status, path).toBe(400);
    }
  });

  it('prices the normalised path and sends the origin exactly that path', async () => {
    const reader = await newReader(100_000);
    for (const [path, sent] of [
      ['/%70remium/a', '/premium/a'],
      ['//premium//a', '/premium/a'],
      ['/free/../premium/a', '/premium/a'],
      ['/free/%2e%2e/premium/a', '/premium/a'],
    ] as const) {
      const res = await view(path, reader);
      expect(charged(res), path).toBe('10000');
      expect((await res.json<Echo>()).path, path).toBe(sent);
    }
  });
});
