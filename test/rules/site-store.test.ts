import { reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_CACHED_NO_SITE_HOSTS, MAX_CACHED_SITES, siteCacheSize } from '../../src/rules/site-store';
import { call, siteDoc } from '../support/paywall';

// Each test uses its own host: the isolate's cache of site documents is the thing under test.
let n = 0;
const freshHost = () => `kv-${++n}.test`;

afterEach(async () => {
  vi.useRealTimers();
  await reset();
});

const priceOf = async (host: string, path = '/p/1') => {
  const res = await call(path, { headers: { accept: 'application/json' } }, host);
  return res.status === 402 ? Number(res.headers.get('paywall-price-micros')) : res.status;
};

const putKv = (host: string, value: unknown) => env.KV.put(`site:${host}`, typeof value === 'string' ? value : JSON.stringify(value));

describe('site documents written straight to KV', () => {
  it('price views like ones written through the admin API', async () => {
    const host = freshHost();
    await putKv(
      host,
      siteDoc(
        [
          { pattern: '/p/*', priceMicros: 321 },
          { pattern: '/*', priceMicros: 0 },
        ],
        host,
      ),
    );
    expect(await priceOf(host)).toBe(321);
    expect(await priceOf(host, '/free')).toBe(200);
  });

  it('reach every request within 60 seconds', async () => {
    const host = freshHost();
    await putKv(host, siteDoc([{ pattern: '/p/*', priceMicros: 1 }], host));
    expect(await priceOf(host)).toBe(1);
    await putKv(host, siteDoc([{ pattern: '/p/*', priceMicros: 2 }], host));
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 59_000);
    await expect.poll(() => priceOf(host), { timeout: 5000 }).toBe(2);
  });

  it('keep the last good version serving when a broken one is written, neither closing nor opening the site', async () => {
    const host = freshHost();
    await putKv(host, siteDoc([{ pattern: '/p/*', priceMicros: 50 }], host));
    expect(await priceOf(host)).toBe(50);
    const errors = vi.spyOn(console, 'error');
    for (const broken of [
      '{not json',
      { host, origin: 'http://o.test', rules: [{ pattern: '/p/*', priceMicros: -1 }] },
      siteDoc([], 'another.test'),
    ]) {
      await putKv(host, broken);
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 61_000);
      await priceOf(host);
      await new Promise((r) => setTimeout(r, 50));
      expect(await priceOf(host)).toBe(50);
      vi.useRealTimers();
    }
    expect(errors).toHaveBeenCalled();
  });

  it('fall back to the last good version kept by the admin API when an isolate only ever saw a broken one', async () => {
    const host = freshHost();
    await env.KV.put(`site-lastgood:${host}`, JSON.stringify(siteDoc([{ pattern: '/p/*', priceMicros: 77 }], host)));
    await putKv(host, '{broken');
    expect(await priceOf(host)).toBe(77);
  });

  it('with nothing good to fall back on, answer 503 on every path: never free', async () => {
    const host = freshHost();
    await putKv(host, { host, origin: 'http://o.test', rules: 'everything free' });
    for (const path of ['/p/1', '/', '/anything']) {
      const res = await call(path, { headers: { accept: 'application/json' } }, host);
      expect(res.status, path).toBe(503);
      expect((await res.json<{ error: string }>()).error).toBe('site_unavailable');
    }
  });
});

describe("the isolate's cache of sites", () => {
  it('is bounded: a client sending a new Host on every request neither grows it past its size nor pushes the real sites out', async () => {
    const site = freshHost();
    await putKv(site, siteDoc([{ pattern: '/p/*', priceMicros: 432 }], site));
    expect(await priceOf(site)).toBe(432);
    const flood = MAX_CACHED_NO_SITE_HOSTS + 300;
    for (let i = 0; i < flood; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, flood - i) }, async (_, j) => {
          const res = await call('/p/1', { headers: { accept: 'application/json' } }, `junk-${i + j}.flood.test`);
          expect(res.status).toBe(404);
          await res.body?.cancel();
        }),
      );
    }
    const size = siteCacheSize();
    expect(size.noSite).toBe(MAX_CACHED_NO_SITE_HOSTS);
    expect(size.sites).toBeLessThanOrEqual(MAX_CACHED_SITES);
    // The real site kept its entry: priced with no KV read (the document is gone from KV).
    await env.KV.delete(`site:${site}`);
    expect(await priceOf(site)).toBe(432);
    // A "no site" answer is still remembered, within the bound: the most recent junk host.
    await env.KV.put(
      `site:junk-${flood - 1}.flood.test`,
      JSON.stringify(siteDoc([{ pattern: '/*', priceMicros: 5 }], `junk-${flood - 1}.flood.test`)),
    );
    expect(await priceOf(`junk-${flood - 1}.flood.test`)).toBe(404);
  });
});
