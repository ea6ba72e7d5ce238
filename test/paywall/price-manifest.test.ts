import { reset } from 'cloudflare:test';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { balanceOf, call, HOST, newReader, putSite, siteDoc, STANDARD_RULES, useStandardSite, view } from '../support/paywall';
import { decodeCrawlerAmount } from '../support/pay-per-crawl-spec';

afterEach(() => reset());

const MANIFEST = '/.well-known/paywall.json';

type Manifest = {
  host: string;
  currency: string;
  amountUnit: string;
  matching: { syntax: string; order: string; ignoreCase: boolean; trailingSlash: string; noMatch: string };
  rules: { pattern: string; priceMicros: number; crawlerPrice: string; reviewWindowSeconds?: number }[];
  payment: { x402: { payTo: string; scheme: string } };
};

async function manifest(host = HOST): Promise<Manifest> {
  const res = await call(MANIFEST, {}, host);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return res.json();
}

/**
 * The price an agent reads off the manifest, following only what the manifest declares:
 * URLPattern pathnames, first match wins, ASCII case and one trailing slash ignored,
 * no match is free.
 */
function manifestPrice(m: Manifest, path: string): number {
  expect(m.matching).toEqual({
    syntax: 'URLPattern pathname',
    order: 'first match wins',
    ignoreCase: true,
    trailingSlash: 'one trailing slash is ignored',
    noMatch: 'free',
  });
  const variants = path.length > 1 && path.endsWith('/') ? [path, path.slice(0, -1)] : [path, `${path}/`];
  for (const rule of m.rules) {
    const pattern = new URLPattern({ pathname: rule.pattern }, { ignoreCase: true });
    if (variants.some((p) => pattern.test({ pathname: p }))) return rule.priceMicros;
  }
  return 0;
}

describe('price manifest at /.well-known/paywall.json', () => {
  it('lists the site rules in order, with prices in micros and in crawler notation, and windows', async () => {
    await useStandardSite();
    const m = await manifest();
    expect(m.host).toBe(HOST);
    expect(m.currency).toBe('USD');
    expect(m.amountUnit).toBe('micros');
    expect(
      m.rules.map(({ pattern, priceMicros, reviewWindowSeconds }) => ({
        pattern,
        priceMicros,
        ...(reviewWindowSeconds ? { reviewWindowSeconds } : {}),
      })),
    ).toEqual(STANDARD_RULES);
    for (const r of m.rules)
      expect(decodeCrawlerAmount(r.crawlerPrice, 'crawlerPrice')).toEqual({ currency: 'USD', micros: r.priceMicros });
    expect(m.payment.x402).toMatchObject({ scheme: 'prepaid', payTo: HOST });
  });

  it('is answered by the Worker, never proxied or charged, even where every path is priced', async () => {
    expect((await putSite(siteDoc([{ pattern: '/*', priceMicros: 5000 }]))).status).toBe(200);
    const reader = await newReader(50_000);
    for (const path of [MANIFEST, '/.WELL-KNOWN/Paywall.json', `${MANIFEST}/`]) {
      const res = await view(path, reader);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('paywall-charged-micros')).toBeNull();
      const body = await res.json<Record<string, unknown>>();
      expect(body.manifestVersion).toBe(1);
      expect(body.path).toBeUndefined(); // the echo origin would have answered with the path it received
    }
    const anonymous = await view(MANIFEST, null);
    expect(anonymous.status).toBe(200);
    expect(await balanceOf(reader)).toBe(50_000);
    // A neighbour of the manifest is an ordinary priced view.
    expect((await view('/.well-known/other.json', reader)).headers.get('paywall-charged-micros')).toBe('5000');
  });

  it('HEAD, revalidation by ETag, and other methods', async () => {
    await useStandardSite();
    const head = await call(MANIFEST, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const etag = head.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    const again = await call(MANIFEST, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    const post = await call(MANIFEST, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('follows an admin change at once, and a host without a site has none', async () => {
    await useStandardSite();
    const before = await call(MANIFEST);
    expect((await putSite(siteDoc([{ pattern: '/new/*', priceMicros: 777 }]))).status).toBe(200);
    const after = await call(MANIFEST, { headers: { 'if-none-match': before.headers.get('etag')! } });
    expect(after.status).toBe(200);
    expect((await after.json<Manifest>()).rules).toEqual([{ pattern: '/new/*', priceMicros: 777, crawlerPrice: 'USD 0.000777' }]);
    expect((await call(MANIFEST, {}, 'nosite.test')).status).toBe(404);
  });

  it('property: for random rules and paths, the manifest price of a path is what a view of it is charged', async () => {
    const token = fc.constantFrom('a', 'b', 'c', ':p', '*');
    const pattern = fc
      .array(token, { minLength: 1, maxLength: 3 })
      .filter((t) => !t.slice(0, -1).includes('*'))
      .map((t) => `/${t.map((s, i) => (s === ':p' ? `:p${i}` : s)).join('/')}`);
    const rule = fc.record(
      {
        pattern,
        priceMicros: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100_000 })),
        reviewWindowSeconds: fc.integer({ min: 1, max: 3600 }),
      },
      { requiredKeys: ['pattern', 'priceMicros'] },
    );
    const path = fc
      .tuple(fc.array(fc.constantFrom('a', 'b', 'c', 'A', 'B', 'd'), { minLength: 1, maxLength: 3 }), fc.boolean())
      .map(([segments, slash]) => `/${segments.join('/')}${slash ? '/' : ''}`);

    await fc.assert(
      fc.asyncProperty(
        fc.array(rule, { minLength: 1, maxLength: 6 }),
        fc.uniqueArray(path, { minLength: 1, maxLength: 6, selector: windowKey }),
        async (rules, paths) => {
          expect((await putSite(siteDoc(rules))).status).toBe(200);
          const m = await manifest();
          const reader = await newReader(1_000_000);
          for (const p of paths) {
            const expected = manifestPrice(m, p);
            const res = await view(p, reader);
            expect(res.status, p).toBe(200);
            const charged = res.headers.get('paywall-charged-micros');
            if (expected === 0) expect(charged, p).toBeNull();
            else expect(Number(charged), p).toBe(expected);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

/** Paths that share a re-view window are the same path to the wallet. */
function windowKey(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}
