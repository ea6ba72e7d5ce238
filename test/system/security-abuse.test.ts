import { reset } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clientKey } from '../../src/http/client-limits';
import { ADMIN, ADMIN_HOST, HOST, adminCall, balanceOf, call, json, newReader, view, type Reader } from '../support/paywall';
import { chargedOf, expectConserved, expectError, useSecuritySite } from '../support/security';

/** Abuse: per-client limits, body sizes, slow origins, cross-site writes, framing. */

let reader: Reader;

beforeEach(async () => {
  await useSecuritySite();
  reader = await newReader(1_000_000);
});
afterEach(() => reset());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rate limit windows are whole wall-clock minutes: start a limit test well inside one. */
async function freshMinute(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 20_000) await sleep(left + 200);
}

let nextClient = 1;
/** A client address no other test has used, so each test starts with full budgets. */
const newClient = () => `198.51.100.${nextClient++}`;

const createReader = (ip: string, headers: Record<string, string> = {}) =>
  call('/__paywall/api/readers', { method: 'POST', headers: { 'cf-connecting-ip': ip, ...headers } });

describe('rate limits', () => {
  it('one client may create at least 30 new readers a minute, and is stopped after 60', async () => {
    await freshMinute();
    const ip = newClient();
    for (let i = 0; i < 60; i++) expect((await createReader(ip)).status, `reader ${i + 1}`).toBe(201);
    const refused = await createReader(ip);
    await expectError(refused.clone(), 429, 'rate_limited');
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(refused.headers.get('set-cookie')).toBeNull();
    expect((await createReader(newClient())).status).toBe(201);
  });

  it('top-up attempts are limited per client, and a refused one changes nothing', async () => {
    await freshMinute();
    const ip = newClient();
    const topUp = () => call('/__paywall/api/dev/topup', json({ amountMicros: 1 }, { ...reader.auth, 'cf-connecting-ip': ip }));
    for (let i = 0; i < 20; i++) expect((await topUp()).status, `top-up ${i + 1}`).toBe(200);
    await expectError(await topUp(), 429, 'rate_limited');
    // Stripe checkout shares the budget.
    await expectError(
      await call('/__paywall/api/topup', json({ amountMicros: 5_000_000 }, { ...reader.auth, 'cf-connecting-ip': ip })),
      429,
      'rate_limited',
    );
    expect(await balanceOf(reader)).toBe(1_000_020);
  });

  it('admin calls are limited per client, with the right token or not', async () => {
    await freshMinute();
    const ip = newClient();
    for (let i = 0; i < 60; i++) {
      const res = await adminCall(`/__paywall/api/admin/sites/${HOST}`, {
        headers: { authorization: `Bearer guess-${i}`, 'cf-connecting-ip': ip },
      });
      expect(res.status).toBe(401);
    }
    await expectError(
      await adminCall(`/__paywall/api/admin/sites/${HOST}`, { headers: { ...ADMIN, 'cf-connecting-ip': ip } }),
      429,
      'rate_limited',
    );
    expect((await adminCall(`/__paywall/api/admin/sites/${HOST}`, { headers: { ...ADMIN, 'cf-connecting-ip': newClient() } })).status).toBe(
      200,
    );
  });

  it("limits never refuse a paying reader's views", async () => {
    await freshMinute();
    const ip = newClient();
    for (let i = 0; i < 61; i++) await createReader(ip);
    for (let i = 0; i < 61; i++)
      await adminCall(`/__paywall/api/admin/sites/${HOST}`, { headers: { authorization: 'Bearer x', 'cf-connecting-ip': ip } });
    for (let i = 0; i < 21; i++)
      await call('/__paywall/api/dev/topup', json({ amountMicros: 1 }, { ...reader.auth, 'cf-connecting-ip': ip }));
    expect((await createReader(ip)).status).toBe(429);
    const before = await balanceOf(reader);
    for (let i = 0; i < 80; i++) {
      const res = await view(`/premium/${i}`, reader, { 'cf-connecting-ip': ip });
      expect(res.status, `view ${i + 1}`).toBe(200);
      expect(chargedOf(res)).toBe(10_000);
      // Read to the end, as a reader does: a paid body given up half-way is refunded.
      await res.arrayBuffer();
    }
    expect((await call('/__paywall/api/me', { headers: { ...reader.auth, 'cf-connecting-ip': ip } })).status).toBe(200);
    await expectConserved(reader, before - 800_000);
  });

  it("the account page's sign-up and top-up forms spend the same budgets as the API", async () => {
    await freshMinute();
    const ip = newClient();
    const form = (path: string) => call(path, { method: 'POST', headers: { ...reader.auth, 'cf-connecting-ip': ip } });
    for (let i = 0; i < 30; i++) expect((await createReader(ip)).status).toBe(201);
    for (let i = 0; i < 30; i++) expect((await form('/__paywall/account/create')).status).not.toBe(429);
    await expectError(await createReader(ip), 429, 'rate_limited');
    await expectError(await form('/__paywall/account/create'), 429, 'rate_limited');
    for (let i = 0; i < 10; i++) expect((await form('/__paywall/account/topup')).status).not.toBe(429);
    for (let i = 0; i < 10; i++) expect((await form('/__paywall/account/dev-topup')).status).not.toBe(429);
    await expectError(
      await call('/__paywall/api/dev/topup', json({ amountMicros: 1 }, { ...reader.auth, 'cf-connecting-ip': ip })),
      429,
      'rate_limited',
    );
  });

  it('an IPv6 client is limited by its /64, which one subscriber holds whole', async () => {
    await freshMinute();
    const net = `2001:db8:${nextClient++}:7`;
    const topUp = (ip: string) => call('/__paywall/api/dev/topup', json({ amountMicros: 1 }, { ...reader.auth, 'cf-connecting-ip': ip }));
    for (let i = 1; i <= 20; i++) expect((await topUp(`${net}::${i.toString(16)}`)).status).toBe(200);
    expect((await topUp(`${net}:ffff:ffff:ffff:ffff`)).status).toBe(429);
    expect((await topUp(`2001:db8:${nextClient++}:8::1`)).status).toBe(200);
  });

  it('a client is who Cloudflare says it is; requests from no edge or from this machine are not limited', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('2001:0db8:0000:0000:ffff::')).toBe('2001:db8:0:0::/64');
    expect(clientKey('2001:DB8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey(undefined)).toBeNull();
    expect(clientKey('127.0.0.1')).toBeNull();
    expect(clientKey('::1')).toBeNull();
  });
});

describe('body limits', () => {
  const SMALL = 16 * 1024;
  const ENDPOINTS: [string, string, number][] = [
    ['POST', '/__paywall/api/readers', SMALL],
    ['PUT', '/__paywall/api/me/settings', SMALL],
    ['GET', '/__paywall/api/me', SMALL],
    ['GET', '/__paywall/api/me/ledger', SMALL],
    ['POST', '/__paywall/api/dev/topup', SMALL],
    ['POST', '/__paywall/api/topup', SMALL],
    ['POST', `/__paywall/api/admin/readers/READER/credit`, SMALL],
    ['GET', `/__paywall/api/admin/usage/${HOST}`, SMALL],
    ['PUT', `/__paywall/api/admin/sites/${HOST}`, 4 * 1024 * 1024],
    ['DELETE', `/__paywall/api/admin/sites/${HOST}`, 4 * 1024 * 1024],
    ['POST', '/__paywall/webhooks/stripe', 256 * 1024],
    ['POST', '/__paywall/anything-else', SMALL],
  ];

  it('every paywall endpoint refuses a body over its limit, by its Content-Length, before reading it', async () => {
    for (const [method, template, limit] of ENDPOINTS) {
      const path = template.replace('READER', reader.readerId);
      const headers = { ...(path.includes('/admin/') ? ADMIN : reader.auth), 'content-type': 'application/json' };
      const res = await call(
        path,
        { method: method === 'GET' ? 'POST' : method, headers, body: 'x'.repeat(limit + 1) },
        path.includes('/admin/') ? ADMIN_HOST : HOST,
      );
      if (path === '/__paywall/anything-else') expect(res.status).toBeLessThan(500);
      else await expectError(res, 413, 'body_too_large');
    }
    expect(await balanceOf(reader)).toBe(1_000_000);
  });

  it('a streamed body without Content-Length is cut off at the limit too', async () => {
    const stream = (bytes: number) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let sent = 0; sent < bytes; sent += 4096) controller.enqueue(new Uint8Array(Math.min(4096, bytes - sent)).fill(32));
          controller.close();
        },
      });
    for (const [method, path, limit] of [
      ['PUT', '/__paywall/api/me/settings', SMALL],
      ['POST', '/__paywall/api/dev/topup', SMALL],
      ['POST', `/__paywall/api/admin/readers/${reader.readerId}/credit`, SMALL],
      ['PUT', `/__paywall/api/admin/sites/${HOST}`, 4 * 1024 * 1024],
    ] as const) {
      const headers = { ...(path.includes('/admin/') ? ADMIN : reader.auth), 'content-type': 'application/json' };
      const res = await call(
        path,
        { method, headers, body: stream(limit + 4096), duplex: 'half' } as RequestInit,
        path.includes('/admin/') ? ADMIN_HOST : HOST,
      );
      await expectError(res, 413, 'body_too_large');
    }
    expect(await balanceOf(reader)).toBe(1_000_000);
  });

  it('a body under the limit is read and judged on its content', async () => {
    const res = await call('/__paywall/api/dev/topup', json({ amountMicros: 5, padding: 'x'.repeat(SMALL - 100) }, reader.auth));
    await expectError(res, 400, 'invalid_request');
  });
});

describe('slow origins', () => {
  it("a reader's other views proceed while one origin is slow", async () => {
    let slowDone = false;
    const slow = view('/slow/paid', reader).then((res) => ((slowDone = true), res));
    await sleep(100);
    // Charged before its origin answers, and voided when the origin gives up.
    expect(await balanceOf(reader)).toBe(1_000_000 - 1000);
    const started = Date.now();
    const others = await Promise.all(['/premium/a', '/premium/b', '/articles/c'].map((p) => view(p, reader)));
    expect(others.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(slowDone).toBe(false);
    expect(Date.now() - started).toBeLessThan(900);
    await expectError(await slow, 504, 'origin_timeout');
    await expectConserved(reader, 1_000_000 - 22_500);
  });

  it('a slow paid body is charged once, when it starts, and other views go on meanwhile', async () => {
    const dripping = await view('/drip/paid', reader);
    expect(chargedOf(dripping)).toBe(1000);
    expect(await balanceOf(reader)).toBe(999_000);
    expect(chargedOf(await view('/premium/meanwhile', reader))).toBe(10_000);
    expect((await dripping.text()).trim().split('\n')).toHaveLength(10);
    await expectConserved(reader, 989_000);
  });

  it('a reader whose whole balance a slow view was charged is told so, and gets it back when the origin gives up', async () => {
    const poor = await newReader(1000);
    const slow = view('/slow/paid', poor);
    await sleep(100);
    const refused = await view('/slow/paid', poor);
    expect(refused.status).toBe(402);
    expect((await refused.json<{ error: string }>()).error).toBe('insufficient_balance');
    await expectError(await slow, 504, 'origin_timeout');
    expect(await balanceOf(poor)).toBe(1000);
  });
});

describe('cross-site writes', () => {
  const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

  it('a page on another site cannot create a reader or swap the token cookie', async () => {
    for (const headers of [
      { ...FORM, origin: 'https://evil.example' },
      { ...FORM, origin: 'null' },
      { ...FORM, 'sec-fetch-site': 'cross-site' },
      { ...FORM, 'sec-fetch-site': 'same-site', origin: `https://comments.${HOST}` },
    ]) {
      const res = await call('/__paywall/api/readers', { method: 'POST', headers, body: 'a=1' });
      await expectError(res.clone(), 403, 'cross_site_request');
      expect(res.headers.get('set-cookie')).toBeNull();
    }
  });

  it('cross-site writes are refused on every reader endpoint, and nothing changes', async () => {
    const evil = { origin: 'https://evil.example', 'content-type': 'text/plain' };
    const res1 = await call('/__paywall/api/me/settings', {
      method: 'PUT',
      headers: { ...reader.auth, ...evil },
      body: '{"dailyCapMicros":0}',
    });
    await expectError(res1, 403, 'cross_site_request');
    const res2 = await call('/__paywall/api/dev/topup', {
      method: 'POST',
      headers: { ...reader.auth, ...evil },
      body: '{"amountMicros":1}',
    });
    await expectError(res2, 403, 'cross_site_request');
    const me = await call('/__paywall/api/me', { headers: reader.auth }).then((r) =>
      r.json<{ dailyCapMicros: unknown; balanceMicros: number }>(),
    );
    expect(me).toMatchObject({ dailyCapMicros: null, balanceMicros: 1_000_000 });
  });

  it("the site's own pages and API clients that send no Origin are served", async () => {
    expect((await createReader('127.0.0.1', { origin: `http://${HOST}` })).status).toBe(201);
    expect((await createReader('127.0.0.1', { 'sec-fetch-site': 'same-origin' })).status).toBe(201);
    expect((await createReader('127.0.0.1')).status).toBe(201);
    expect((await adminCall(`/__paywall/api/admin/sites/${HOST}`, { method: 'DELETE', headers: ADMIN })).status).toBe(204);
  });
});

describe('framing', () => {
  it('the paywall pages cannot be framed by another site; the publisher content keeps its own headers', async () => {
    const own = await call('/__paywall/healthz');
    expect(own.headers.get('x-frame-options')).toBe('DENY');
    expect(own.headers.get('x-content-type-options')).toBe('nosniff');
    expect(own.headers.get('strict-transport-security')).toBeNull();
    const content = await view('/free/x', null);
    expect(content.headers.get('x-frame-options')).toBeNull();
    await content.body?.cancel();
  });
});
