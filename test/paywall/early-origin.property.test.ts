import { abortAllDurableObjects, reset } from 'cloudflare:test';
import fc from 'fast-check';
import { afterEach, expect, it } from 'vitest';
import { heardFromWallet } from '../../src/paywall/early-origin';
import { balanceOf, ledgerOf, newReader, putSite, siteDoc, topUp, view } from '../support/paywall';

afterEach(() => reset());

/**
 * The origin asked together with the wallet (src/paywall/early-origin.ts), under bursts,
 * origin failures, wallet evictions and stale knowledge (this isolate told a reader is
 * rich when they are not, as when another isolate spent their money): a 402 never carries
 * the origin's answer, every 200 carries a receipt the ledger keeps as a charge, nothing is
 * charged for an origin failure, and the balance never goes below zero.
 */
const RULES = [
  { pattern: '/p/*', priceMicros: 1000 },
  { pattern: '/status/:code/*', priceMicros: 1000 },
  { pattern: '/reset/*', priceMicros: 1000 },
  { pattern: '/*', priceMicros: 0 },
];

type Op = { kind: 'burst'; paths: string[] } | { kind: 'topup'; amount: number } | { kind: 'evict' } | { kind: 'lie' };

const path = fc.oneof(
  fc.nat(4).map((i) => `/p/${i}`),
  fc.constantFrom('/status/500/x', '/status/404/x', '/reset/x', '/status/200/x'),
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('burst' as const), paths: fc.array(path, { minLength: 1, maxLength: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('topup' as const), amount: fc.integer({ min: 0, max: 3_000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'evict' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'lie' as const }) },
);

it('early origin fetches with bursts, origin failures, evictions and stale knowledge: no origin answer in a 402, every receipt a kept charge, no overspend', async () => {
  await putSite(siteDoc(RULES));
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 4_000 }), fc.array(op, { minLength: 1, maxLength: 10 }), async (start, ops) => {
      const reader = await newReader(start);
      let money = start;
      const receipts: string[] = [];
      let chargedByHeaders = 0;
      for (const o of ops) {
        if (o.kind === 'topup') {
          if (o.amount > 0) money = (await topUp(reader, o.amount), money + o.amount);
          continue;
        }
        if (o.kind === 'evict') {
          await abortAllDurableObjects();
          continue;
        }
        if (o.kind === 'lie') {
          heardFromWallet(reader.readerId, 1_000_000);
          continue;
        }
        const answers = await Promise.all(o.paths.map((p) => view(p, reader)));
        for (const res of answers) {
          const text = await res.text().catch(() => '');
          if (res.status === 402) {
            // The paywall's own JSON, never the origin's echo of the request.
            const body = JSON.parse(text) as Record<string, unknown>;
            expect(['insufficient_balance', 'payment_required']).toContain(body.error);
            expect(body).not.toHaveProperty('method');
            expect(res.headers.get('paywall-receipt')).toBeNull();
          } else if (res.status === 200) {
            const receipt = res.headers.get('paywall-receipt');
            expect(receipt).not.toBeNull();
            receipts.push(receipt!);
            chargedByHeaders += Number(res.headers.get('paywall-charged-micros'));
          } else {
            // An origin failure or a wallet away: nothing charged, no receipt.
            expect(res.headers.get('paywall-charged-micros')).toBeNull();
            expect(res.headers.get('paywall-receipt')).toBeNull();
          }
        }
      }
      const entries = await ledgerOf(reader);
      const charges = entries.filter((e) => e.type === 'charge');
      // Each receipt is a charge the ledger keeps, and every charge went with a delivered 200.
      expect(new Set(charges.map((e) => e.id))).toEqual(new Set(receipts));
      expect(charges.every((e) => !/^\/(status\/(500|404)|reset)\//.test(e.path ?? ''))).toBe(true);
      const charged = charges.reduce((s, e) => s + e.amountMicros, 0);
      expect(charged).toBe(chargedByHeaders);
      const balance = await balanceOf(reader);
      expect(balance).toBe(money - charged);
      expect(balance).toBeGreaterThanOrEqual(0);
    }),
    { numRuns: 30 },
  );
});
