import { abortAllDurableObjects, reset } from 'cloudflare:test';
import fc from 'fast-check';
import { afterEach, expect, it } from 'vitest';
import { ADMIN, adminCall, balanceOf, json, ledgerOf, newReader, putSite, siteDoc, topUp, view, type Reader } from '../support/paywall';

afterEach(() => reset());

const RULES = [
  { pattern: '/w/:slug', priceMicros: 700, reviewWindowSeconds: 3600 },
  { pattern: '/status/:code/*', priceMicros: 400 },
  { pattern: '/slow/*', priceMicros: 400 },
  { pattern: '/reset/*', priceMicros: 400 },
  { pattern: '/broken-body/*', priceMicros: 400 },
  { pattern: '/p/*', priceMicros: 1_300 },
  { pattern: '/*', priceMicros: 0 },
];

type Op =
  | { kind: 'topup'; amount: number }
  | { kind: 'credit'; amount: number; key: string }
  | { kind: 'view'; path: string; key?: string }
  | { kind: 'burst'; paths: string[] }
  /** Every Durable Object reset while a burst is on its way: charges in flight, voids in flight. */
  | { kind: 'burstWithReset'; paths: string[]; afterMs: number };

const path = fc.oneof(
  fc.constantFrom(
    '/w/a',
    '/w/b',
    '/W/A/',
    '/p/1',
    '/p/2',
    '/free',
    '/status/200/x',
    '/status/500/x',
    '/status/404/x',
    '/reset/x',
    '/broken-body/x',
  ),
  fc.nat(5).map((i) => `/p/${i}`),
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('topup' as const), amount: fc.integer({ min: 0, max: 5_000 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('credit' as const),
      amount: fc.integer({ min: 1, max: 3_000 }),
      key: fc.constantFrom('c1', 'c2', 'c3'),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record(
      { kind: fc.constant('view' as const), path, key: fc.option(fc.constantFrom('k1', 'k2', 'k3'), { nil: undefined }) },
      { requiredKeys: ['kind', 'path'] },
    ),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('burst' as const), paths: fc.array(path, { minLength: 2, maxLength: 12 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('burstWithReset' as const),
      paths: fc.array(path, { minLength: 2, maxLength: 8 }),
      afterMs: fc.integer({ min: 0, max: 60 }),
    }),
  },
);

async function run(reader: Reader, o: Op): Promise<Response[]> {
  switch (o.kind) {
    case 'topup':
      await topUp(reader, o.amount);
      return [];
    case 'credit':
      await adminCall(
        `/__paywall/api/admin/readers/${reader.readerId}/credit`,
        json({ amountMicros: o.amount, reason: 'p' }, { ...ADMIN, 'idempotency-key': `${reader.readerId}-${o.key}` }),
      );
      return [];
    case 'view':
      return [await view(o.path, reader, o.key ? { 'idempotency-key': o.key } : {})];
    case 'burst':
      return Promise.all(o.paths.map((p) => view(p, reader)));
    case 'burstWithReset': {
      const burst = Promise.all(o.paths.map((p) => view(p, reader)));
      await new Promise((r) => setTimeout(r, o.afterMs));
      await abortAllDurableObjects();
      return burst;
    }
  }
}

it('random top-ups, credits, views, retries, bursts, origin failures and wallet resets conserve money exactly, and list only what was delivered', async () => {
  await putSite(siteDoc(RULES));
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
      const reader = await newReader();
      let chargedByHeaders = 0;
      /** Receipts of the charges the reader was told of (a 200 that charged), with the price; and of those whose body broke off. */
      const receipts = new Map<string, number>();
      const brokenReceipts = new Set<string>();
      for (const o of ops) {
        for (const res of await run(reader, o)) {
          const delivered = await res.text().then(
            () => true,
            () => false,
          );
          const charged = Number(res.headers.get('paywall-charged-micros') ?? 0);
          const fresh = res.status === 200 && res.headers.get('idempotency-replayed') !== 'true';
          if (fresh) chargedByHeaders += charged;
          if (fresh && charged > 0) receipts.set(res.headers.get('paywall-receipt')!, charged);
          if (!delivered && charged > 0) brokenReceipts.add(res.headers.get('paywall-receipt')!);
          // Nothing priced is ever served without a receipt, and a failure never carries a charge.
          if (res.status !== 200) expect(res.headers.get('paywall-charged-micros')).toBeNull();
        }
      }
      // A body that broke off is given back after the response: refunded if its charge was written, or, for a
      // view of a hot reader spent from a lease and not yet reported, dropped before it was ever charged.
      const settled = async () => {
        const now = await ledgerOf(reader);
        const brokenListed = now.filter((e) => e.type === 'charge' && brokenReceipts.has(e.id)).length;
        return refundsOf(now, true) === brokenListed;
      };
      await expect.poll(settled, { timeout: 5_000 }).toBe(true);
      const entries = (await ledgerOf(reader)).reverse();
      // A receipt only for a charge the ledger keeps, and every charge listed is one the reader was told of:
      // a view charged before its origin failed (or before a reset lost its answer) was voided and is not listed.
      const listed = entries.filter((e) => e.type === 'charge').map((e) => e.id);
      expect(new Set(listed).size).toBe(listed.length);
      for (const id of listed) expect(receipts.has(id)).toBe(true);
      const unlisted = [...receipts.keys()].filter((r) => !listed.includes(r));
      for (const r of unlisted) expect(brokenReceipts.has(r)).toBe(true);
      const neverCharged = unlisted.reduce((sum, r) => sum + receipts.get(r)!, 0);
      let running = 0;
      let credits = 0;
      let charges = 0;
      for (const e of entries) {
        const sign = e.type === 'charge' ? -1 : 1;
        running += sign * e.amountMicros;
        expect(e.balanceAfterMicros).toBe(running);
        expect(running).toBeGreaterThanOrEqual(0);
        if (e.type === 'charge') charges += e.amountMicros;
        else if (e.type === 'refund') charges -= e.amountMicros;
        else credits += e.amountMicros;
      }
      const balance = await balanceOf(reader);
      expect(balance).toBe(running);
      expect(credits).toBe(balance + charges);
      expect(chargedByHeaders).toBe(charges + refundsOf(entries) + neverCharged);
    }),
    { numRuns: 50 },
  );
});

const refundsOf = (entries: { type: string; amountMicros: number }[], count = false) =>
  entries.filter((e) => e.type === 'refund').reduce((s, e) => s + (count ? 1 : e.amountMicros), 0);
