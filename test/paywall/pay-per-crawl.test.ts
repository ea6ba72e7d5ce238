import { reset } from 'cloudflare:test';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { balanceOf, ledgerOf, newReader, putSite, siteDoc, useStandardSite, view } from '../support/paywall';
import { crawlerError, decodeCrawlerAmount, encodeCrawlerAmount } from '../support/pay-per-crawl-spec';

afterEach(() => reset());

describe('pay per crawl: crawler-price and crawler-charged', () => {
  it('a 402 names the price in USD, equal to Paywall-Price-Micros, for prices down to one micro', async () => {
    const prices = [1, 10, 2_500, 10_000, 123_456, 1_000_000, 12_345_678];
    const rules = prices.map((p) => ({ pattern: `/p/${p}`, priceMicros: p }));
    expect((await putSite(siteDoc(rules))).status).toBe(200);
    for (const p of prices) {
      const res = await view(`/p/${p}`, null);
      expect(res.status).toBe(402);
      expect(decodeCrawlerAmount(res.headers.get('crawler-price'), 'crawler-price')).toEqual({ currency: 'USD', micros: p });
      expect(res.headers.get('paywall-price-micros')).toBe(String(p));
      expect(crawlerError(res)).toBeNull();
    }
    expect(decodeCrawlerAmount((await view('/p/10000', null)).headers.get('crawler-price'), 'crawler-price')).toEqual({
      currency: 'USD',
      micros: 10_000,
    });
    expect((await view('/p/10000', null)).headers.get('crawler-price')).toBe('USD 0.01');
  });

  it('crawler-max-price at or above the price pays it and reports crawler-charged', async () => {
    await useStandardSite();
    const crawler = await newReader(50_000);
    for (const max of ['USD 0.01', 'USD 0.010000', 'USD 1', 'USD 0.02']) {
      const res = await view('/premium/a', crawler, { 'crawler-max-price': max });
      expect(res.status, max).toBe(200);
      expect(decodeCrawlerAmount(res.headers.get('crawler-charged'), 'crawler-charged').micros).toBe(10_000);
    }
    expect(await balanceOf(crawler)).toBe(10_000);
  });

  it('crawler-max-price below the price: 402 InvalidCrawlerMaxPrice, nothing charged', async () => {
    await useStandardSite();
    const crawler = await newReader(50_000);
    const res = await view('/premium/a', crawler, { 'crawler-max-price': 'USD 0.009999' });
    expect(res.status).toBe(402);
    expect(crawlerError(res)).toBe('InvalidCrawlerMaxPrice');
    expect(await res.json()).toMatchObject({ error: 'price_above_max', priceMicros: 10_000, balanceMicros: 50_000 });
    expect(await balanceOf(crawler)).toBe(50_000);
  });

  it('crawler-exact-price equal to the price pays it; below it is 402 InvalidCrawlerExactPrice', async () => {
    await useStandardSite();
    const crawler = await newReader(50_000);
    const paid = await view('/premium/a', crawler, { 'crawler-exact-price': 'USD 0.01' });
    expect(paid.status).toBe(200);
    expect(paid.headers.get('crawler-charged')).toBe('USD 0.01');
    const low = await view('/premium/a', crawler, { 'crawler-exact-price': 'USD 0.005' });
    expect(low.status).toBe(402);
    expect(crawlerError(low)).toBe('InvalidCrawlerExactPrice');
    expect(await balanceOf(crawler)).toBe(40_000);
  });

  it('both price headers: 400 ConflictingPriceHeaders; a malformed value: 400 InvalidCrawlerPriceValue naming the header', async () => {
    await useStandardSite();
    const crawler = await newReader(50_000);
    const both = await view('/premium/a', crawler, { 'crawler-max-price': 'USD 1', 'crawler-exact-price': 'USD 0.01' });
    expect(both.status).toBe(400);
    expect(crawlerError(both)).toBe('ConflictingPriceHeaders');
    for (const [header, value] of [
      ['crawler-max-price', '0.01'],
      ['crawler-max-price', 'EUR 0.01'],
      ['crawler-max-price', 'USD -0.01'],
      ['crawler-max-price', 'USD 1e3'],
      ['crawler-max-price', 'USD 0.0000001'],
      ['crawler-max-price', 'USD 0.01 0.02'],
      ['crawler-exact-price', 'USD'],
      ['crawler-exact-price', 'USD 99999999999'],
    ] as const) {
      const res = await view('/premium/a', crawler, { [header]: value });
      expect(res.status, value).toBe(400);
      expect(crawlerError(res), value).toBe('InvalidCrawlerPriceValue');
      expect(await res.json(), value).toMatchObject({ field: header });
    }
    expect(await balanceOf(crawler)).toBe(50_000);
  });

  it('with Paywall-Max-Price-Micros too, the lower ceiling wins; crawler-error names only a crawler value that refused', async () => {
    await useStandardSite();
    const crawler = await newReader(50_000);
    const res = await view('/premium/a', crawler, { 'crawler-max-price': 'USD 1', 'paywall-max-price-micros': '5000' });
    expect(res.status).toBe(402);
    expect(crawlerError(res)).toBeNull();
    const other = await view('/premium/a', crawler, { 'crawler-max-price': 'USD 0.005', 'paywall-max-price-micros': '50000' });
    expect(other.status).toBe(402);
    expect(crawlerError(other)).toBe('InvalidCrawlerMaxPrice');
    expect(await balanceOf(crawler)).toBe(50_000);
  });

  it('a re-view inside the window reports crawler-charged USD 0.00; a free path reports nothing', async () => {
    await useStandardSite();
    const crawler = await newReader(50_000);
    await view('/articles/a', crawler, { 'crawler-max-price': 'USD 0.01' });
    const again = await view('/articles/a', crawler, { 'crawler-max-price': 'USD 0.01' });
    expect(again.headers.get('crawler-charged')).toBe('USD 0.00');
    const free = await view('/about', crawler, { 'crawler-max-price': 'nonsense' });
    expect(free.status).toBe(200);
    expect(free.headers.get('crawler-charged')).toBeNull();
  });

  it('property: a crawler is charged exactly the price when it is within its ceiling, else nothing', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5_000_000 }),
        fc.integer({ min: 0, max: 5_000_000 }),
        fc.constantFrom('crawler-max-price', 'crawler-exact-price'),
        async (price, ceiling, header) => {
          const path = `/c/${run++}`;
          expect((await putSite(siteDoc([{ pattern: '/c/*', priceMicros: price }]))).status).toBe(200);
          const crawler = await newReader(10_000_000);
          const res = await view(path, crawler, { [header]: encodeCrawlerAmount(ceiling) });
          const charged = 10_000_000 - (await balanceOf(crawler));
          if (price <= ceiling) {
            expect(res.status).toBe(200);
            expect(decodeCrawlerAmount(res.headers.get('crawler-charged'), 'crawler-charged').micros).toBe(price);
            expect(charged).toBe(price);
          } else {
            expect(res.status).toBe(402);
            expect(crawlerError(res)).toBe(header === 'crawler-max-price' ? 'InvalidCrawlerMaxPrice' : 'InvalidCrawlerExactPrice');
            expect(decodeCrawlerAmount(res.headers.get('crawler-price'), 'crawler-price').micros).toBe(price);
            expect(charged).toBe(0);
            expect((await ledgerOf(crawler)).filter((e) => e.type === 'charge')).toHaveLength(0);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
