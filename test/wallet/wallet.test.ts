import { abortAllDurableObjects, reset, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { LedgerType } from '../../src/wallet/ledger-entry';
import { VOIDABLE_MS } from '../../src/wallet/wallet';
import type { ChargeRequest } from '../../src/wallet/wallet-types';

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

const view = (path: string, priceMicros: number, more: Partial<ChargeRequest> = {}): ChargeRequest => ({
  receipt: crypto.randomUUID(),
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

function receiptOf(result: Awaited<ReturnType<WalletStub['charge']>>): string {
  if (!result.ok || !result.voidable) throw new Error(`not charged: ${JSON.stringify(result)}`);
  return result.receipt;
}

/** The statement as the reader reads it, oldest first: [type, amount, balance after]. */
async function statementOf(stub: WalletStub): Promise<[string, number, number][]> {
  const { entries } = await stub.ledger(200);
  return entries.reverse().map((e) => [e.type, e.amountMicros, e.balanceAfterMicros]);
}

describe('charged at once, voided if the origin does not deliver', () => {
  it('a view writes its charge row at once and takes its price from the balance', async () => {
    const wallet = await walletWith(10_000);
    const request = view('/a', 3_000);
    const charged = await wallet.charge(request);
    expect(charged).toEqual({
      ok: true,
      receipt: request.receipt,
      chargedMicros: 3_000,
      balanceMicros: 7_000,
      replay: false,
      voidable: true,
    });
    expect(await rowsOf(wallet)).toEqual([
      { type: 'topup', amount: 10_000, balance_after: 10_000, host: null, path: null },
      { type: 'charge', amount: 3_000, balance_after: 7_000, host: 'news.test', path: '/a' },
    ]);
    expect(await balanceOf(wallet)).toBe(7_000);
  });

  it('a voided view is given back once and is no longer listed; a void of a receipt never written changes nothing', async () => {
    const wallet = await walletWith(10_000);
    const receipt = receiptOf(await wallet.charge(view('/a', 3_000)));
    expect(await wallet.void(receipt)).toEqual({ ok: true, voided: true, balanceMicros: 10_000 });
    expect(await wallet.void(receipt)).toEqual({ ok: true, voided: false, balanceMicros: 10_000 });
    expect(await wallet.void(crypto.randomUUID())).toEqual({ ok: true, voided: false, balanceMicros: 10_000 });
    expect(await statementOf(wallet)).toEqual([['topup', 10_000, 10_000]]);
    expect(await wallet.receipt(receipt)).toBeNull();
    // Stored, the charge and the row that gave it back still chain; nothing else was written.
    expect((await expectChained(wallet)).map((r) => r.type)).toEqual(['topup', 'charge', 'refund']);
    // A voided view cannot be refunded or taken back as well.
    expect(await wallet.refund(receipt, 'again')).toMatchObject({ ok: false, reason: 'no_such_charge' });
    expect(await wallet.takeBackView(receipt, 'again')).toMatchObject({ ok: false, reason: 'no_such_charge' });
    // The whole balance is free again.
    expect(await wallet.charge(view('/b', 10_000))).toMatchObject({ ok: true, voidable: true, balanceMicros: 0 });
  });

  it('a statement with a void between other rows reads as if the view had never been charged', async () => {
    const wallet = await walletWith(10_000);
    const a = receiptOf(await wallet.charge(view('/a', 3_000)));
    receiptOf(await wallet.charge(view('/b', 2_000)));
    await wallet.credit({ type: 'credit', amountMicros: 500 });
    expect(await wallet.void(a)).toMatchObject({ ok: true, voided: true, balanceMicros: 8_500 });
    expect(await statementOf(wallet)).toEqual([
      ['topup', 10_000, 10_000],
      ['charge', 2_000, 8_000],
      ['credit', 500, 8_500],
    ]);
    expect((await wallet.summary()).spentTodayMicros).toBe(2_000);
  });

  it('a view older than its longest wait for the origin is no longer voided (a refund gives it back)', async () => {
    const wallet = await walletWith(10_000);
    const receipt = receiptOf(await wallet.charge(view('/a', 3_000)));
    await runInDurableObject(wallet, (_w, state) =>
      state.storage.sql.exec('UPDATE ledger SET at = at - ? WHERE id = ?', VOIDABLE_MS + 1, receipt),
    );
    expect(await wallet.void(receipt)).toEqual({ ok: false, reason: 'too_late', balanceMicros: 7_000 });
    expect(await balanceOf(wallet)).toBe(7_000);
  });

  it('a price above the balance is refused and writes nothing, counting what other views were charged', async () => {
    const empty = await walletWith(0);
    expect(await empty.charge(view('/a', 1))).toEqual({ ok: false, reason: 'insufficient_balance', balanceMicros: 0 });
    expect(await rowsOf(empty)).toEqual([]);

    const wallet = await walletWith(5_000);
    expect(await wallet.charge(view('/a', 5_001))).toEqual({ ok: false, reason: 'insufficient_balance', balanceMicros: 5_000 });
    receiptOf(await wallet.charge(view('/b', 3_000)));
    expect(await wallet.charge(view('/c', 2_001))).toEqual({ ok: false, reason: 'insufficient_balance', balanceMicros: 2_000 });
    receiptOf(await wallet.charge(view('/d', 2_000)));
    expect((await expectChained(wallet)).map((r) => r.type)).toEqual(['topup', 'charge', 'charge']);
    expect(await balanceOf(wallet)).toBe(0);
  });

  it('property: concurrent views and voids never take more than the balance; it ends as the top-up less the views kept, each listed once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 50_000 }),
        fc.array(fc.record({ price: fc.integer({ min: 1, max: 20_000 }), delivered: fc.boolean(), voidTwice: fc.boolean() }), {
          minLength: 1,
          maxLength: 25,
        }),
        async (topUp, views) => {
          const wallet = await walletWith(topUp);
          // Each view is charged, then voided if "its origin" failed, all interleaved.
          const outcomes = await Promise.all(
            views.map(async (v, i) => {
              const answer = await wallet.charge(view(`/p${i}`, v.price));
              if (!answer.ok) return { ...v, charged: false };
              if (!v.delivered) {
                const voids = await Promise.all([wallet.void(answer.receipt), ...(v.voidTwice ? [wallet.void(answer.receipt)] : [])]);
                expect(voids.filter((r) => r.ok && r.voided)).toHaveLength(1);
              }
              return { ...v, charged: true };
            }),
          );
          const charged = outcomes.filter((o) => o.charged);
          expect(charged.reduce((s, o) => s + o.price, 0)).toBeLessThanOrEqual(topUp);
          const kept = charged.filter((o) => o.delivered);
          await expectChained(wallet);
          expect(await balanceOf(wallet)).toBe(topUp - kept.reduce((s, o) => s + o.price, 0));
          // The statement lists the views kept and nothing of the voided ones, and adds up row by row.
          const statement = await statementOf(wallet);
          expect(statement.filter(([type]) => type === 'charge')).toHaveLength(kept.length);
          expect(statement.filter(([type]) => type === 'refund')).toHaveLength(0);
          let running = 0;
          for (const [type, amount, after] of statement) {
            running += type === 'charge' ? -amount : amount;
            expect(after).toBe(running);
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('idempotency keys', () => {
  const keyed = (path = '/k', more: Partial<ChargeRequest> = {}) => view(path, 2_000, { idempotencyKey: 'key-1', method: 'GET', ...more });

  it('a view sent again with its key, even at the same moment, replays it: charged once', async () => {
    const wallet = await walletWith(10_000);
    const [first, retry] = await Promise.all([wallet.charge(keyed()), wallet.charge(keyed())]);
    const receipt = receiptOf(first);
    const replay = { ok: true, receipt, chargedMicros: 2_000, balanceMicros: 8_000, replay: true, voidable: false };
    expect(retry).toEqual(replay);
    expect(await wallet.charge(keyed())).toEqual(replay);
    expect((await expectChained(wallet)).filter((r) => r.type === 'charge')).toHaveLength(1);
    expect(await balanceOf(wallet)).toBe(8_000);
  });

  it('the same key for another path or method is refused and charges nothing', async () => {
    const wallet = await walletWith(10_000);
    receiptOf(await wallet.charge(keyed()));
    for (const other of [keyed('/other'), keyed('/k', { method: 'POST' }), keyed('/k', { host: 'other.test' })]) {
      expect(await wallet.charge(other)).toEqual({ ok: false, reason: 'idempotency_conflict', balanceMicros: 8_000 });
    }
    expect(await rowsOf(wallet)).toHaveLength(2);
    expect(await balanceOf(wallet)).toBe(8_000);
  });

  it('a key whose view was voided charged nothing, so it makes a new view', async () => {
    const wallet = await walletWith(10_000);
    await wallet.void(receiptOf(await wallet.charge(keyed())));
    const again = await wallet.charge(keyed());
    expect(again).toMatchObject({ ok: true, voidable: true, replay: false });
    expect(await statementOf(wallet)).toEqual([
      ['topup', 10_000, 10_000],
      ['charge', 2_000, 8_000],
    ]);
  });
});

describe('the ledger', () => {
  it("is one chain of balance_after through credits, charges, voids and refunds, each written once, and the balance is its last row's", async () => {
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
    for (const [i, price] of [4_000, 1, 7_500].entries()) receipts.push(receiptOf(await wallet.charge(view(`/c${i}`, price))));
    await wallet.void(receiptOf(await wallet.charge(view('/voided', 3_000))));
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
      ['charge', 3_000],
      ['refund', 3_000],
      ['refund', 4_000],
      ['topup', 1_000],
    ]);
    expect(await balanceOf(wallet)).toBe(18_499);
    // The reader's statement: the voided view and the row that gave it back are not on it.
    expect((await statementOf(wallet)).map(([type, amount]) => [type, amount])).toEqual([
      ['topup', 20_000],
      ['credit', 5_000],
      ['charge', 4_000],
      ['charge', 1],
      ['charge', 7_500],
      ['refund', 4_000],
      ['topup', 1_000],
    ]);
  });

  it('is what a restarted wallet reads its balance from: a charge written before the restart stands until voided', async () => {
    const before = await walletWith(10_000);
    receiptOf(await before.charge(view('/a', 2_500)));
    const inFlight = receiptOf(await before.charge(view('/b', 7_500)));

    // The object goes away while the second view's origin is still answering, as on a crash or a deploy.
    await abortAllDurableObjects();
    const wallet = env.WALLET.get(before.id);
    expect(await balanceOf(wallet)).toBe(0);
    // Its origin then failed: the Worker's void reaches the new instance.
    expect(await wallet.void(inFlight)).toEqual({ ok: true, voided: true, balanceMicros: 7_500 });
    expect(await wallet.charge(view('/c', 7_500))).toMatchObject({ ok: true, voidable: true, balanceMicros: 0 });
    expect((await statementOf(wallet)).map(([type]) => type)).toEqual(['topup', 'charge', 'charge']);
  });
});
