import { reset } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, newReader, putSite, siteDoc, type Reader } from '../support/paywall';
import { chargedOf, echoOf, expectConserved, expectError, pathOf } from '../support/security';

/**
 * Paths beyond ASCII. The contract: the path that is priced is exactly the path that the
 * origin receives, one normalisation for both (src/paywall/normalize-path.ts), and the
 * rules' patterns are read with the same one, so the rule index and the request agree.
 * Unicode's default-ignorable code points (invisible: soft hyphen, zero-width space and
 * joiners, word joiner, BOM, CGJ...) are no part of a path: a request containing one is
 * refused, and a rule's pattern is read without them.
 */

const RULES = [
  { pattern: '/café/*', priceMicros: 5000 },
  { pattern: '/%E6%96%B0%E9%97%BB/:id', priceMicros: 4000 },
  { pattern: '/straße', priceMicros: 3000 },
  { pattern: '/premium/*', priceMicros: 10000 },
  { pattern: '/se\u00ADcret/*', priceMicros: 7000 },
  { pattern: '/articles/:slug', priceMicros: 2500 },
  { pattern: '/*', priceMicros: 0 },
];

/** A selection of Unicode's Default_Ignorable_Code_Point set, including every one the issue names. */
const IGNORABLES = [
  '\u00AD',
  '\u034F',
  '\u061C',
  '\u115F',
  '\u17B4',
  '\u180B',
  '\u180E',
  '\u200B',
  '\u200C',
  '\u200D',
  '\u200E',
  '\u202A',
  '\u202E',
  '\u2060',
  '\u2064',
  '\u2066',
  '\u3164',
  '\uFE00',
  '\uFE0F',
  '\uFEFF',
  '\uFFA0',
  '\u{1BCA0}',
  '\u{1D173}',
  '\u{E0001}',
  '\u{E0020}',
  '\u{E01EF}',
  '\u{E0FFF}',
];

let reader: Reader;
beforeEach(async () => {
  expect((await putSite(siteDoc(RULES))).status).toBe(200);
  reader = await newReader(1_000_000);
});
afterEach(async () => {
  await expectConserved(reader);
  await reset();
});

const get = (path: string, who: Reader | null) => call(path, { headers: { accept: 'application/json', ...(who?.auth ?? {}) } });

async function expectPriced(path: string, received: string, price: number) {
  const unpaid = await get(path, null);
  expect(unpaid.status, `${path} without a reader`).toBe(402);
  expect(unpaid.headers.get('paywall-price-micros')).toBe(String(price));
  await unpaid.body?.cancel();
  const paid = await get(path, reader);
  expect(paid.status, `${path} with a reader`).toBe(200);
  expect(chargedOf(paid)).toBe(price);
  expect(pathOf(await echoOf(paid))).toBe(received);
}

describe('a rule whose first segment is not ASCII', () => {
  it('is charged for the path written encoded or raw', async () => {
    await expectPriced('/caf%C3%A9/x', '/caf%C3%A9/x', 5000);
    await expectPriced('/caf%c3%a9/x', '/caf%C3%A9/x', 5000);
    await expectPriced('/café/x', '/caf%C3%A9/x', 5000);
    await expectPriced('/CAF%C3%A9/x', '/CAF%C3%A9/x', 5000);
    await expectPriced('/%E6%96%B0%E9%97%BB/42', '/%E6%96%B0%E9%97%BB/42', 4000);
    await expectPriced('/新闻/42', '/%E6%96%B0%E9%97%BB/42', 4000);
    await expectPriced('/stra%C3%9Fe', '/stra%C3%9Fe', 3000);
    await expectPriced('/straße/', '/stra%C3%9Fe/', 3000);
  });

  it('is not opened by another spelling of its letters', async () => {
    for (const path of ['/CAF%C3%89/x', '/cafe%CC%81/x', '/caf%EF%BD%85%CC%81/x', '/STRA%C3%9FE', '/%E6%96%B0%E9%97%BB%EF%BC%8F42']) {
      const res = await get(path, null);
      expect([400, 402], path).toContain(res.status);
      await res.body?.cancel();
    }
  });

  it('leaves other non-ASCII paths free as they are', async () => {
    const res = await get('/caf%C3%A8/x', null);
    expect(res.status).toBe(200);
    expect(res.headers.get('paywall-charged-micros')).toBeNull();
    expect(pathOf(await echoOf(res))).toBe('/caf%C3%A8/x');
  });
});

describe('default-ignorable code points', () => {
  it('in a request path are refused, wherever they are, before the origin is asked', async () => {
    for (const ch of IGNORABLES) {
      const encoded = encodeURIComponent(ch);
      for (const path of [
        `/pre${encoded}mium/x`,
        `/premium${encoded}/x`,
        `/${encoded}premium/x`,
        `/articles/a${encoded}`,
        `/free/${encoded}`,
      ]) {
        for (const who of [null, reader]) await expectError(await get(path, who), 400, 'invalid_path');
      }
      // Written raw, the URL parser encodes them: the same refusal.
      await expectError(await get(`/pre${ch}mium/x`, reader), 400, 'invalid_path');
    }
  });

  it('in a rule are not part of the path it prices', async () => {
    await expectPriced('/secret/x', '/secret/x', 7000);
    await expectPriced('/SECRET/x/', '/SECRET/x/', 7000);
  });
});
