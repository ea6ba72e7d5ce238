import { abortAllDurableObjects, reset, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { LedgerType } from '../../src/wallet/ledger-entry';
import type { ReserveRequest } from '../../src/wallet/wallet-types';

/**
 * The Wallet Durable Object on its own, as the Worker calls it (its RPC stub), with the
 * ledger read inside the object (runInDurableObject), as workers-sdk's fixtures test
 * theirs. What is asserted is what a reader would notice: the balance, and the rows of
 * the history that explain it.
 */

afterEach(() => reset());

/** A reader's wallet, opened and topped up, with no Worker in between. */
async function walletWith(micros: number) {
  const readerId = `r_${crypto.randomUUID()}`;
  const stub = env.WALLET.get(env.WALLET.idFromName(readerId));
  await stub.open(readerId);
  if (micros > 0) await stub.credit({ type: 'topup', amountMicros: micros });
  return stub;
}
type WalletStub = Awaited<ReturnType<typeof walletWith>>;

const view = (path: string, priceMicros: number, more: Partial<ReserveRequest> = {}): ReserveRequest => ({
  host: 'news.test',
  path,
  windowKey: `news.test${path}`,
  priceMicros,
  ...more,
});

type Row = { type: LedgerType; amount: number; balance_after: number; host: string | null; path: string | null };

/** The ledger as the object stores it, oldest first. */
function rowsOf(stub: WalletStub): Promise<Row[]> {
  return runInDurableObject(stub, (_wallet, state) =>
    state.storage.sql.exec<Row>('SELECT type, amount, balance_after, host, path FROM ledger ORDER BY seq').toArray(),
  );
}

const balanceOf = async (stub: WalletStub) => (await stub.summary()).balanceMicros;

const MONEY_OUT: LedgerType[] = ['charge', 'reversal', 'withdrawal', 'transfer_out'];

/** Each row's balance_after is the one before it plus or minus its amount, and the last is the balance. */
async function expectChained(stub: WalletStub): Promise<Row[]> {
  const rows = await rowsOf(stub);
  let running = 0;
  for (const row of rows) {
    running += MONEY_OUT.includes(row.type) ? -row.amount : row.amount;
    expect(row.balance_after, `${row.type} of ${row.amount}`).toBe(running);
  }
  expect(await balanceOf(stub)).toBe(running);
  return rows;
}

function holdOf(result: Awaited<ReturnType<WalletStub['reserve']>>): string {
  if (!result.ok || result.settled) throw new Error(`no hold: ${JSON.stringify(result)}`);
  return result.holdId;
}

describe('reserve, then commit or void', () => {
  it('a committed view writes one charge row and takes its price from the balance, once', async () => {
    const wallet = await walletWith(10_000);
    const held = await wallet.reserve(view('/a', 3_000));
    expect(held).toMatchObject({ ok: true, settled: false, balanceMicros: 7_000 });
    // Held, not charged: no row yet, and the balance is whole until the origin delivers.
    expect(await rowsOf(wallet)).toHaveLength(1);
    expect(await balanceOf(wallet)).toBe(10_000);

    const holdId = holdOf(held);
    expect(await wallet.commit(holdId)).toEqual({ ok: true, receipt: holdId, chargedMicros: 3_000, balanceMicros: 7_000 });
    expect(await rowsOf(wallet)).toEqual([
      { type: 'topup', amount: 10_000, balance_after: 10_000, host: null, path: null },
      { type: 'charge', amount: 3_000, balance_after: 7_000, host: 'news.test', path: '/a' },
    ]);
    expect(await balanceOf(wallet)).toBe(7_000);

    // A commit sent twice charges once.
    expect(await wallet.commit(holdId)).toEqual({ ok: false, reason: 'hold_expired' });
    expect(await rowsOf(wallet)).toHaveLength(2);
    expect(await balanceOf(wallet)).toBe(7_000);
  });

  it('a voided view writes nothing and frees its price; a commit after the void charges nothing', async () => {
    const wallet = await walletWith(10_000);
    const holdId = holdOf(await wallet.reserve(view('/a', 3_000)));
    expect(await wallet.void(holdId)).toEqual({ balanceMicros: 10_000 });
    expect(await wallet.commit(holdId)).toEqual({ ok: false, reason: 'hold_expired' });
    expect(await rowsOf(wallet)).toHaveLength(1);
    expect(await balanceOf(wallet)).toBe(10_000);
    // The whole balance is free again.
    expect(await wallet.reserve(view('/b', 10_000))).toMatchObject({ ok: true, settled: false, balanceMicros: 0 });
  });

  it('a price above what is free is refused and writes nothing, counting what other views hold', async () => {
    const empty = await walletWith(0);
    expect(await empty.reserve(view('/a', 1))).toEqual({ ok: false, reason: 'insufficient_balance', balanceMicros: 0 });
    expect(await rowsOf(empty)).toEqual([]);

    const wallet = await walletWith(5_000);
    expect(await wallet.reserve(view('/a', 5_001))).toEqual({ ok: false, reason: 'insufficient_balance', balanceMicros: 5_000 });
    const holdId = holdOf(await wallet.reserve(view('/b', 3_000)));
    expect(await wallet.reserve(view('/c', 2_001))).toEqual({ ok: false, reason: 'insufficient_balance', balanceMicros: 2_000 });
    const rest = holdOf(await wallet.reserve(view('/d', 2_000)));
    await wallet.commit(holdId);
    await wallet.commit(rest);
    expect((await expectChained(wallet)).map((r) => r.type)).toEqual(['topup', 'charge', 'charge']);
    expect(await balanceOf(wallet)).toBe(0);
  });

  it('property: concurrent views never hold more than the balance, and the balance ends as the top-up less what was committed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 50_000 }),
        fc.array(fc.record({ price: fc.integer({ min: 1, max: 20_000 }), commit: fc.boolean() }), { minLength: 1, maxLength: 25 }),
        async (topUp, views) => {
          const wallet = await walletWith(topUp);
          const answers = await Promise.all(views.map((v, i) => wallet.reserve(view(`/p${i}`, v.price))));
          const held = views.flatMap((v, i) => {
            const a = answers[i]!;
            return a.ok && !a.settled ? [{ ...v, holdId: a.holdId }] : [];
          });
          const heldMicros = held.reduce((s, h) => s + h.price, 0);
          expect(heldMicros).toBeLessThanOrEqual(topUp);
          expect((await wallet.stats()).heldMicros).toBe(heldMicros);
          answers.forEach((a, i) => {
            // A refused view could not have fitted: its price is above what all the holds left.
            if (!a.ok) {
              expect(a.reason).toBe('insufficient_balance');
              expect(views[i]!.price).toBeGreaterThan(topUp - heldMicros);
            }
          });

          await Promise.all(held.map((h) => (h.commit ? wallet.commit(h.holdId) : wallet.void(h.holdId))));
          const committed = held.filter((h) => h.commit);
          const rows = await expectChained(wallet);
          expect(await balanceOf(wallet)).toBe(topUp - committed.reduce((s, h) => s + h.price, 0));
          expect(rows.filter((r) => r.type === 'charge')).toHaveLength(committed.length);
          expect((await wallet.stats()).heldMicros).toBe(0);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('idempotency keys', () => {
  const keyed = (path = '/k', more: Partial<ReserveRequest> = {}) => view(path, 2_000, { idempotencyKey: 'key-1', method: 'GET', ...more });

  it('a view sent again with its key, even while the first is in flight, replays it: charged once', async () => {
    const wallet = await walletWith(10_000);
    const first = wallet.reserve(keyed());
    const retry = wallet.reserve(keyed()); // waits for the first to be committed or voided
    const holdId = holdOf(await first);
    await wallet.commit(holdId);
    const replay = { ok: true, settled: true, receipt: holdId, chargedMicros: 2_000, balanceMicros: 8_000, replay: true };
    expect(await retry).toEqual(replay);
    expect(await wallet.reserve(keyed())).toEqual(replay);
    expect((await expectChained(wallet)).filter((r) => r.type === 'charge')).toHaveLength(1);
    expect(await balanceOf(wallet)).toBe(8_000);
  });

  it('the same key for another path or method is refused and charges nothing', async () => {
    const wallet = await walletWith(10_000);
    await wallet.commit(holdOf(await wallet.reserve(keyed())));
    for (const other of [keyed('/other'), keyed('/k', { method: 'POST' }), keyed('/k', { host: 'other.test' })]) {
      expect(await wallet.reserve(other)).toEqual({ ok: false, reason: 'idempotency_conflict', balanceMicros: 8_000 });
    }
    expect(await rowsOf(wallet)).toHaveLength(2);
    expect(await balanceOf(wallet)).toBe(8_000);
  });

  it('a key whose view was voided charged nothing, so it makes a new view', async () => {
    const wallet = await walletWith(10_000);
    await wallet.void(holdOf(await wallet.reserve(keyed())));
    const again = await wallet.reserve(keyed());
    expect(again).toMatchObject({ ok: true, settled: false });
    await wallet.commit(holdOf(again));
    expect((await expectChained(wallet)).map((r) => r.type)).toEqual(['topup', 'charge']);
  });
});

describe('the ledger', () => {
  it("is one chain of balance_after through credits, charges and refunds, each written once, and the balance is its last row's", async () => {
    const wallet = await walletWith(20_000);
    expect(await wallet.credit({ type: 'credit', amountMicros: 5_000, idempotencyKey: 'admin:one' })).toMatchObject({
      ok: true,
      balanceMicros: 25_000,
      duplicate: false,
    });
    expect(await wallet.credit({ type: 'credit', amountMicros: 5_000, idempotencyKey: 'admin:one' })).toMatchObject({
      ok: true,
      balanceMicros: 25_000,
      duplicate: true,
    });
    const receipts: string[] = [];
    for (const [i, price] of [4_000, 1, 7_500].entries()) {
      const done = await wallet.commit(holdOf(await wallet.reserve(view(`/c${i}`, price))));
      if (!done.ok) throw new Error('not committed');
      receipts.push(done.receipt);
    }
    await wallet.void(holdOf(await wallet.reserve(view('/voided', 3_000))));
    expect(await wallet.refund(receipts[0]!, 'body broke off')).toMatchObject({ ok: true, balanceMicros: 17_499, duplicate: false });
    expect(await wallet.refund(receipts[0]!, 'body broke off')).toMatchObject({ ok: true, balanceMicros: 17_499, duplicate: true });
    await wallet.credit({ type: 'topup', amountMicros: 1_000 });

    const rows = await expectChained(wallet);
    expect(rows.map((r) => [r.type, r.amount])).toEqual([
      ['topup', 20_000],
      ['credit', 5_000],
      ['charge', 4_000],
      ['charge', 1],
      ['charge', 7_500],
      ['refund', 4_000],
      ['topup', 1_000],
    ]);
    expect(await balanceOf(wallet)).toBe(18_499);
  });

  it('is what a restarted wallet reads its balance from; a hold lost in the restart charged nothing', async () => {
    const before = await walletWith(10_000);
    await before.commit(holdOf(await before.reserve(view('/a', 2_500))));
    const lost = holdOf(await before.reserve(view('/b', 7_500)));

    // The object goes away with the hold in memory, as on a crash or a deploy.
    await abortAllDurableObjects();
    const wallet = env.WALLET.get(before.id);
    expect(await balanceOf(wallet)).toBe(7_500);
    expect(await wallet.commit(lost)).toEqual({ ok: false, reason: 'hold_expired' });
    // What the lost hold kept back is free again.
    expect(await wallet.reserve(view('/c', 7_500))).toMatchObject({ ok: true, settled: false, balanceMicros: 0 });
    expect((await expectChained(wallet)).map((r) => r.type)).toEqual(['topup', 'charge']);
  });
});
