import { abortAllDurableObjects, reset, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dropCachedSite } from '../../src/rules/site-store';
import { lastGoodSiteKey, siteKey } from '../../src/storage/kv-keys';
import { balanceOf, HOST, ledgerOf, newReader, siteDoc, view, type Reader } from '../support/paywall';
import { chargedOf, expectConserved, expectError, SECURITY_RULES, useSecuritySite } from '../support/security';

/** Faults: for each, a clear error or the right answer, and money conserved. */

let reader: Reader;
const START = 100_000;

beforeEach(async () => {
  await useSecuritySite();
  reader = await newReader(START);
});
afterEach(async () => {
  vi.useRealTimers();
  await reset();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('origin faults', () => {
  it('an origin 5xx or 404 on a priced path is passed on and charges nothing', async () => {
    for (const code of [500, 502, 503, 404]) {
      const res = await view(`/status/${code}/paid`, reader);
      expect(res.status).toBe(code);
      expect(res.headers.get('paywall-charged-micros')).toBeNull();
      await res.body?.cancel();
    }
    await expectConserved(reader, START);
  });

  it('an origin that does not answer in time is a 504 and charges nothing', async () => {
    await expectError(await view('/slow/paid', reader), 504, 'origin_timeout');
    await expectConserved(reader, START);
    // Charged before the origin was asked, then voided: the reader's statement shows no charge.
    expect((await ledgerOf(reader)).map((e) => e.type)).toEqual(['topup']);
  });

  it('an origin that drops the connection is a 502 and charges nothing', async () => {
    await expectError(await view('/reset/paid', reader), 502, 'origin_unreachable');
    await expectConserved(reader, START);
  });

  it('a paid body that breaks off is refunded', async () => {
    const res = await view('/broken-body/paid', reader);
    expect(res.status).toBe(200);
    expect(chargedOf(res)).toBe(1000);
    await expect(res.text()).rejects.toThrow();
    await vi.waitFor(async () => expect((await ledgerOf(reader)).map((e) => e.type)).toEqual(['refund', 'charge', 'topup']));
    await expectConserved(reader, START);
  });

  it('a paid body that streams for longer than the origin timeout is delivered whole, and charged once', async () => {
    const res = await view('/drip/paid', reader);
    expect(chargedOf(res)).toBe(1000);
    const text = await res.text();
    expect(text.trim().split('\n')).toHaveLength(10);
    await sleep(100);
    expect((await ledgerOf(reader)).map((e) => e.type)).toEqual(['charge', 'topup']);
    await expectConserved(reader, START - 1000);
  });
});

describe('wallet faults', () => {
  it('a wallet reset while the origin answers changes nothing: the view was charged before the origin was asked', async () => {
    const pending = view('/late/paid', reader);
    await sleep(150);
    await abortAllDurableObjects();
    const delivered = await pending;
    expect(delivered.status).toBe(200);
    expect(chargedOf(delivered)).toBe(1000);
    await expectConserved(reader, START - 1000);
    expect(chargedOf(await view('/premium/after', reader))).toBe(10000);
    await expectConserved(reader, START - 11000);
  });

  it('a wallet reset while the origin times out is a 504, and nothing is charged', async () => {
    const pending = view('/slow/paid', reader);
    await sleep(300);
    await abortAllDurableObjects();
    await expectError(await pending, 504, 'origin_timeout');
    await expectConserved(reader, START);
  });

  it('a wallet reset while a paid body streams keeps the charge, and the body arrives whole', async () => {
    const res = await view('/drip/paid', reader);
    expect(chargedOf(res)).toBe(1000);
    await abortAllDurableObjects();
    expect((await res.text()).trim().split('\n')).toHaveLength(10);
    await expectConserved(reader, START - 1000);
  });

  it('a wallet that throws while charging: a 503, nothing charged, and the next view works', async () => {
    const poor = await newReader(10_000);
    const stub = env.WALLET.get(env.WALLET.idFromName(poor.readerId));
    // A write that fails inside the charge's transaction, as a full disk or a storage fault would.
    await runInDurableObject(stub, (_wallet, state) =>
      state.storage.sql.exec(
        "CREATE TRIGGER fail_charges BEFORE INSERT ON ledger WHEN NEW.type = 'charge' BEGIN SELECT RAISE(ABORT, 'storage fault'); END",
      ),
    );
    await expectError(await view('/articles/windowed', poor), 503, 'wallet_unavailable');
    await runInDurableObject(stub, (_wallet, state) => state.storage.sql.exec('DROP TRIGGER fail_charges'));
    expect(await balanceOf(poor)).toBe(10_000);
    // The whole balance is free again for a view that needs no window.
    expect(chargedOf(await view('/premium/all-of-it', poor))).toBe(10_000);
    await expectConserved(poor, 0);
  });
});

describe('site documents in KV', () => {
  const BROKEN = [
    '{"host": "news.test", "origin": ',
    JSON.stringify(siteDoc([{ pattern: '/premium/*', priceMicros: '10000' }])),
    JSON.stringify(siteDoc([{ pattern: '/premium/*', priceMicros: -1 }])),
    JSON.stringify(siteDoc([{ pattern: '/premium/*', priceMicros: 1.5 }])),
    JSON.stringify(siteDoc([{ pattern: '/premium/(', priceMicros: 10000 }])),
    JSON.stringify(siteDoc([{ pattern: '/*', priceMicros: 0 }], 'other.test')),
    JSON.stringify({ ...siteDoc(SECURITY_RULES), origin: 'javascript:alert(1)' }),
    JSON.stringify({ ...siteDoc(SECURITY_RULES), extra: true }),
    'null',
  ];

  it('a broken document in KV keeps the last good version serving in a warm isolate', async () => {
    const errors = vi.spyOn(console, 'error');
    vi.useFakeTimers({ toFake: ['Date'] });
    for (const broken of BROKEN) {
      await env.KV.put(siteKey(HOST), broken);
      errors.mockClear();
      vi.setSystemTime(Date.now() + 25_000); // past the isolate's freshness, so it reads KV again
      for (let i = 0; i < 2; i++) {
        const unpaid = await view('/premium/x', null);
        expect(unpaid.status, broken).toBe(402);
        await unpaid.body?.cancel();
      }
      // The broken document was read, and refused.
      await vi.waitFor(() => expect(errors.mock.calls.flat().join(' ')).toContain('keeping the last good version'));
    }
    vi.useRealTimers();
    expect(chargedOf(await view('/premium/x', reader))).toBe(10000);
    await expectConserved(reader, START - 10000);
  });

  it('a cold isolate finds the last good version when the document is broken', async () => {
    for (const broken of BROKEN) {
      await env.KV.put(siteKey(HOST), broken);
      dropCachedSite(HOST);
      const unpaid = await view('/premium/x', null);
      expect(unpaid.status, broken).toBe(402);
      await unpaid.body?.cancel();
    }
  });

  it('a cold isolate with only a broken document answers 503, never free', async () => {
    await env.KV.delete(lastGoodSiteKey(HOST));
    for (const broken of BROKEN) {
      await env.KV.put(siteKey(HOST), broken);
      dropCachedSite(HOST);
      for (const path of ['/premium/x', '/free/x']) {
        await expectError(await view(path, reader), 503, 'site_unavailable');
      }
    }
    await expectConserved(reader, START);
  });

  it('a broken last good copy is no way around a broken document either', async () => {
    await env.KV.put(lastGoodSiteKey(HOST), '{"broken":');
    await env.KV.put(siteKey(HOST), 'not json');
    dropCachedSite(HOST);
    await expectError(await view('/premium/x', null), 503, 'site_unavailable');
  });
});
