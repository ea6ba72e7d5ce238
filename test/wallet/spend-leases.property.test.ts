import { abortAllDurableObjects, reset, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { LeaseCharge } from '../../src/wallet/wallet-types';

/**
 * Leases of a hot reader's balance (src/wallet/spend-leases.ts), as isolates use them:
 * granted, spent in batches, reported again when an answer was lost, abandoned when the
 * isolate dies, and expiring; with ordinary views and top-ups in between. What a reader
 * would notice: never a charge beyond the money or beyond a slice, never one twice, and a
 * dead isolate's slice free again once it expires.
 */

afterEach(() => reset());

const HOST = 'crawl.test';

async function walletWith(micros: number) {
  const readerId = `r_${crypto.randomUUID()}`;
  const stub = env.WALLET.get(env.WALLET.idFromName(readerId));
  await stub.open(readerId);
  if (micros > 0) await stub.credit({ type: 'topup', amountMicros: micros });
  return { readerId, stub: () => env.WALLET.get(env.WALLET.idFromName(readerId)) };
}

type Row = { type: string; amount: number; balance_after: number; id: string };
const rowsOf = (stub: DurableObjectStub) =>
  runInDurableObject(stub, (_w, state) =>
    state.storage.sql.exec<Row>('SELECT type, amount, balance_after, id FROM ledger ORDER BY seq').toArray(),
  );

const charges = (n: number, path = '/page'): LeaseCharge[] => Array.from({ length: n }, () => ({ receipt: crypto.randomUUID(), path }));

describe('a lease of a hot reader’s balance', () => {
  it('sets a slice aside, charges only what is reported, once, and gives the rest back', async () => {
    const w = await walletWith(10_000);
    const leaseId = crypto.randomUUID();
    expect(await w.stub().lease({ leaseId, host: HOST, priceMicros: 1_000, views: 64 })).toMatchObject({ ok: true, amountMicros: 10_000 });
    // The slice is set aside: an ordinary view finds nothing left.
    expect(
      await w.stub().charge({ receipt: crypto.randomUUID(), host: HOST, path: '/x', windowKey: `${HOST}/x`, priceMicros: 1 }),
    ).toMatchObject({
      ok: false,
      reason: 'insufficient_balance',
    });
    const batch = charges(3);
    expect(await w.stub().settleLease(leaseId, 1, batch, false)).toMatchObject({ ok: true, charged: 3, refused: 0, balanceMicros: 7_000 });
    // The same batch again (its answer was lost) charges nothing.
    expect(await w.stub().settleLease(leaseId, 1, batch, false)).toMatchObject({
      ok: true,
      charged: 0,
      repeat: true,
      balanceMicros: 7_000,
    });
    expect(await w.stub().settleLease(leaseId, 2, charges(1), true)).toMatchObject({ ok: true, charged: 1, balanceMicros: 6_000 });
    // Closed: the rest is free again, and a late batch is refused.
    expect(await w.stub().settleLease(leaseId, 3, charges(1), false)).toMatchObject({ ok: true, charged: 0, refused: 1 });
    expect(
      await w.stub().charge({ receipt: crypto.randomUUID(), host: HOST, path: '/x', windowKey: `${HOST}/x`, priceMicros: 6_000 }),
    ).toMatchObject({
      ok: true,
      balanceMicros: 0,
    });
    const listed = (await w.stub().ledger(20)).entries.filter((e) => e.type === 'charge');
    expect(listed).toHaveLength(5);
    for (const c of batch) expect(listed.filter((e) => e.id === c.receipt)).toHaveLength(1);
  });

  it('of a reader with a daily cap leases no more than the cap leaves, and a named token’s views are never leased', async () => {
    const w = await walletWith(100_000);
    await w.stub().setDailyCap(5_500);
    expect(await w.stub().lease({ leaseId: crypto.randomUUID(), host: HOST, priceMicros: 1_000, views: 64 })).toMatchObject({
      ok: true,
      amountMicros: 5_000,
    });
    expect(await w.stub().lease({ leaseId: crypto.randomUUID(), host: HOST, priceMicros: 1_000, views: 64 })).toMatchObject({
      ok: false,
      reason: 'insufficient_balance',
    });
    expect(
      await w.stub().lease({ leaseId: crypto.randomUUID(), host: HOST, priceMicros: 1, views: 1, grant: { kind: 'token', id: 'tok' } }),
    ).toMatchObject({ ok: false, reason: 'not_leasable' });
  });

  type Op =
    | { kind: 'topup'; amount: number }
    | { kind: 'lease'; views: number; price: number }
    | { kind: 'report'; lease: number; views: number; final: boolean; lostAnswer: boolean }
    | { kind: 'view'; price: number }
    | { kind: 'expire'; lease: number }
    | { kind: 'restart' };

  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('topup' as const), amount: fc.integer({ min: 1, max: 20_000 }) }),
    fc.record({ kind: fc.constant('lease' as const), views: fc.integer({ min: 1, max: 40 }), price: fc.constantFrom(300, 1_000, 2_500) }),
    fc.record({
      kind: fc.constant('report' as const),
      lease: fc.nat(5),
      views: fc.integer({ min: 0, max: 20 }),
      final: fc.boolean(),
      lostAnswer: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('view' as const), price: fc.integer({ min: 1, max: 5_000 }) }),
    fc.record({ kind: fc.constant('expire' as const), lease: fc.nat(5) }),
    fc.constant({ kind: 'restart' as const }),
  );

  it('property: leases, reports, repeats, dead isolates, expiry, views and restarts never overspend and charge each view once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 30_000 }), fc.array(op, { minLength: 1, maxLength: 25 }), async (start, ops) => {
        const w = await walletWith(start);
        let credited = start;
        /** Per lease: its id, price and slice, the batches made, and what was charged from it. */
        const leases: { id: string; price: number; amount: number; batches: number; charged: number }[] = [];
        const reported = new Set<string>();
        for (const o of ops) {
          switch (o.kind) {
            case 'topup':
              await w.stub().credit({ type: 'topup', amountMicros: o.amount });
              credited += o.amount;
              break;
            case 'lease': {
              const id = crypto.randomUUID();
              const granted = await w.stub().lease({ leaseId: id, host: HOST, priceMicros: o.price, views: o.views });
              if (granted.ok) {
                expect(granted.amountMicros % o.price).toBe(0);
                expect(granted.amountMicros).toBeLessThanOrEqual(o.views * o.price);
                leases.push({ id, price: o.price, amount: granted.amountMicros, batches: 0, charged: 0 });
              }
              break;
            }
            case 'report': {
              const lease = leases[o.lease % Math.max(1, leases.length)];
              if (!lease) break;
              lease.batches += 1;
              const batch = charges(o.views);
              const first = await w.stub().settleLease(lease.id, lease.batches, batch, o.final);
              // The answer was lost: the isolate sends the same numbered batch again.
              const again = o.lostAnswer ? await w.stub().settleLease(lease.id, lease.batches, batch, o.final) : null;
              if (first.ok) {
                lease.charged += first.charged * lease.price;
                expect(first.charged + first.refused).toBe(batch.length);
                if (first.charged > 0) for (const c of batch.slice(0, first.charged)) reported.add(c.receipt);
              }
              if (again?.ok) expect(again).toMatchObject({ charged: 0, repeat: true });
              break;
            }
            case 'view':
              await w.stub().charge({ receipt: crypto.randomUUID(), host: HOST, path: '/v', windowKey: `${HOST}/v`, priceMicros: o.price });
              break;
            case 'expire': {
              // The isolate holding it died: nothing reports it again, and it runs out.
              const lease = leases[o.lease % Math.max(1, leases.length)];
              if (!lease) break;
              await runInDurableObject(w.stub(), (_w, state) => {
                state.storage.sql.exec('UPDATE leases SET expires_at = ? WHERE id = ?', Date.now() - 1, lease.id);
              });
              await abortAllDurableObjects();
              break;
            }
            case 'restart':
              await abortAllDurableObjects();
              break;
          }
          // After every step: the ledger chains, never below zero, and the balance is what was credited less what was charged.
          const rows = await rowsOf(w.stub());
          let running = 0;
          for (const r of rows) {
            running += r.type === 'charge' ? -r.amount : r.amount;
            expect(r.balance_after).toBe(running);
            expect(running).toBeGreaterThanOrEqual(0);
          }
          expect((await w.stub().summary()).balanceMicros).toBe(running);
          const chargedRows = rows.filter((r) => r.type === 'charge');
          expect(new Set(chargedRows.map((r) => r.id)).size).toBe(chargedRows.length);
          expect(credited - chargedRows.reduce((s, r) => s + r.amount, 0)).toBe(running);
          for (const lease of leases) expect(lease.charged).toBeLessThanOrEqual(lease.amount);
          for (const receipt of reported) expect(chargedRows.some((r) => r.id === receipt)).toBe(true);
        }
        // Every lease expired or closed: nothing is set aside, so the whole balance can be spent by an ordinary view.
        await runInDurableObject(w.stub(), (_w, state) => {
          state.storage.sql.exec('UPDATE leases SET expires_at = ?', Date.now() - 1);
        });
        await abortAllDurableObjects();
        const balance = (await w.stub().summary()).balanceMicros;
        if (balance > 0) {
          expect(
            await w
              .stub()
              .charge({ receipt: crypto.randomUUID(), host: HOST, path: '/all', windowKey: `${HOST}/all`, priceMicros: balance }),
          ).toMatchObject({ ok: true, balanceMicros: 0 });
        }
      }),
      { numRuns: 30 },
    );
  });
});
