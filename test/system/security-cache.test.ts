import { reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ADMIN,
  HOST,
  adminCall,
  call,
  expectedOriginSecret,
  json,
  newReader,
  putSite,
  siteDoc,
  view,
  type Reader,
} from '../support/paywall';
import { SECURITY_RULES, chargedOf, echoOf, useSecuritySite } from '../support/security';

/** Shared caches never keep a paid answer or a 402; the origin can tell paywall traffic. */

let reader: Reader;

beforeEach(async () => {
  await useSecuritySite();
  reader = await newReader(1_000_000);
});
afterEach(() => reset());

const VALIDATORS = ['etag', 'last-modified', 'expires', 'age', 'surrogate-control', 'cdn-cache-control', 'cloudflare-cdn-cache-control'];

function expectUnstorable(res: Response, what: string) {
  expect(res.headers.get('cache-control'), what).toBe('private, no-store');
  for (const name of VALIDATORS) expect(res.headers.get(name), `${what}: ${name}`).toBeNull();
  const vary = (res.headers.get('vary') ?? '').toLowerCase();
  expect(vary, what).toContain('authorization');
  expect(vary, what).toContain('cookie');
}

describe('paid answers', () => {
  it("a paid answer is private, no-store, without the origin's validators or expiry, and varies on credentials", async () => {
    const res = await view('/validators/paid', reader);
    expect(chargedOf(res)).toBe(1000);
    expectUnstorable(res, 'paid');
    expect(res.headers.get('vary')).toContain('Accept-Encoding');
    await res.arrayBuffer();
  });

  it('a re-view inside its window, a HEAD inside it and an idempotent replay are just as unstorable', async () => {
    const first = await view('/articles/cached', reader);
    expectUnstorable(first, 'first view');
    const again = await view('/articles/cached', reader);
    expect(chargedOf(again)).toBe(0);
    expectUnstorable(again, 're-view');
    const head = await view('/articles/cached', reader, {}, 'HEAD');
    expect(head.status).toBe(200);
    expectUnstorable(head, 'HEAD in window');

    const key = { 'idempotency-key': 'cache-test-1' };
    expectUnstorable(await view('/premium/idem', reader, key), 'keyed view');
    const replay = await view('/premium/idem', reader, key);
    expect(replay.headers.get('idempotency-replayed')).toBe('true');
    expectUnstorable(replay, 'replay');
  });

  it("the origin cannot set the paywall's cookie; its own cookies pass", async () => {
    for (const path of ['/validators/paid', '/validators/free']) {
      const res = await view(path, reader);
      const cookies = res.headers.getSetCookie();
      expect(
        cookies.some((c) => c.startsWith('origin_session=')),
        path,
      ).toBe(true);
      expect(
        cookies.some((c) => c.startsWith('paywall_token=')),
        path,
      ).toBe(false);
      await res.arrayBuffer();
    }
  });
});

describe('402 answers', () => {
  async function expect402Unstorable(res: Response, what: string) {
    expect(res.status, what).toBe(402);
    expect(res.headers.get('cache-control'), what).toBe('private, no-store');
    const vary = (res.headers.get('vary') ?? '').toLowerCase();
    for (const name of ['accept', 'authorization', 'cookie']) expect(vary, what).toContain(name);
    await res.body?.cancel();
  }

  it('a 402 is never stored, as JSON, as the HTML page or for HEAD', async () => {
    await expect402Unstorable(await view('/premium/x', null), 'JSON');
    await expect402Unstorable(await call('/premium/x', { headers: { accept: 'text/html' } }), 'HTML');
    await expect402Unstorable(await call('/premium/x', { method: 'HEAD' }), 'HEAD');
  });

  it('a 402 for every reason is never stored', async () => {
    const poor = await newReader(1000);
    await expect402Unstorable(await view('/premium/x', poor), 'insufficient_balance');
    await expect402Unstorable(await view('/premium/x', reader, { 'paywall-max-price-micros': '1' }), 'price_above_max');
    const capped = await call('/__paywall/api/me/settings', { ...json({ dailyCapMicros: 1 }, reader.auth), method: 'PUT' });
    expect(capped.status).toBe(200);
    await expect402Unstorable(await view('/premium/x', reader), 'daily_cap_reached');
  });
});

describe('free answers', () => {
  it("a free answer keeps the origin's own caching headers: the publisher decides", async () => {
    const res = await view('/validators/free', null);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(res.headers.get('etag')).toBe('"v1"');
    await res.body?.cancel();
  });
});

describe('the origin fetch', () => {
  it("goes past Cloudflare's cache: the origin is asked no-store, for priced and free paths alike", async () => {
    const clientAsksForStorage = { 'cache-control': 'max-stale=86400, only-if-cached', pragma: 'cache' };
    for (const [path, who] of [
      ['/premium/cache-bypass', reader],
      ['/articles/cache-bypass', reader],
      ['/free/cache-bypass', null],
    ] as const) {
      for (const headers of [{}, clientAsksForStorage]) {
        const echo = await echoOf(await view(path, who, headers));
        expect(echo.headers['cache-control'], path).toBe('no-cache');
        expect(echo.headers.pragma, path).toBe('no-cache');
      }
    }
  });
});

describe('origin secret', () => {
  it('every request the paywall sends the origin carries Paywall-Origin-Secret, and no answer shows it', async () => {
    expect(env.ORIGIN_SECRET).toBeTruthy();
    for (const [path, who] of [
      ['/free/x', null],
      ['/premium/x', reader],
      ['/articles/s', reader],
    ] as const) {
      const res = await view(path, who);
      expect(res.status).toBe(200);
      const siteSecret = await expectedOriginSecret();
      for (const [name, value] of res.headers) {
        expect(`${name}: ${value}`).not.toContain(env.ORIGIN_SECRET!);
        expect(`${name}: ${value}`).not.toContain(siteSecret);
      }
      const echo = await echoOf(res);
      expect(echo.headers['paywall-origin-secret'], path).toBe(siteSecret);
      expect(echo.headers['paywall-origin-secret']).not.toContain(env.ORIGIN_SECRET!);
    }
  });

  it('the origin-side check in SECURITY.md tells paywall traffic from direct requests', async () => {
    const viaPaywall = await echoOf(await view('/free/x', null));
    const direct = await fetch(`${env.TEST_ORIGIN}/free/x`).then((r) => r.json<{ headers: Record<string, string | undefined> }>());
    const forged = await fetch(`${env.TEST_ORIGIN}/free/x`, { headers: { 'paywall-origin-secret': 'guess' } }).then((r) =>
      r.json<{ headers: Record<string, string | undefined> }>(),
    );
    const siteSecret = await expectedOriginSecret();
    expect(await cameThroughPaywall(viaPaywall.headers, siteSecret)).toBe(true);
    expect(await cameThroughPaywall(direct.headers, siteSecret)).toBe(false);
    expect(await cameThroughPaywall(forged.headers, siteSecret)).toBe(false);
  });

  it('each site’s origin gets its own secret, which the admin API tells the admin and nobody else', async () => {
    expect((await putSite(siteDoc(SECURITY_RULES, 'other.test'), 'other.test')).status).toBe(200);
    const ours = await echoOf(await view('/free/x', null));
    const theirs = await echoOf(await call('/free/x', { headers: { accept: 'application/json' } }, 'other.test'));
    expect(theirs.headers['paywall-origin-secret']).toBe(await expectedOriginSecret('other.test'));
    expect(theirs.headers['paywall-origin-secret']).not.toBe(ours.headers['paywall-origin-secret']);

    const told = await adminCall(`/__paywall/api/admin/sites/${HOST}/origin-secret`, { headers: ADMIN });
    expect(told.status).toBe(200);
    expect(await told.json()).toEqual({ host: HOST, header: 'Paywall-Origin-Secret', value: ours.headers['paywall-origin-secret'] });
    expect((await adminCall(`/__paywall/api/admin/sites/${HOST}/origin-secret`)).status).toBe(401);
    expect((await adminCall(`/__paywall/api/admin/sites/Bad_Host/origin-secret`, { headers: ADMIN })).status).toBe(400);
  });
});

/** The check SECURITY.md gives publishers, in Web Crypto form: compare digests, not strings. */
async function cameThroughPaywall(headers: Record<string, string | undefined>, secret: string): Promise<boolean> {
  const digest = async (s: string) => new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s)));
  const [got, want] = await Promise.all([digest(headers['paywall-origin-secret'] ?? ''), digest(secret)]);
  return crypto.subtle.timingSafeEqual(got, want);
}
