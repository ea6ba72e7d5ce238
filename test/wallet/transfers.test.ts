import { reset, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { transferBalance } from '../../src/wallet/transfer-balance';
import { TRANSFER_RETRY_AFTER_MS } from '../../src/wallet/transfers';
import { MAX_BALANCE_MICROS } from '../../src/wallet/wallet';
import { ledgerOf, newReader, type Entry, type Reader } from '../support/paywall';
import { walletStub } from '../support/usage';

afterEach(() => reset());

const balance = async (r: Reader) => (await walletStub(r.readerId).summary()).balanceMicros;
const transfersIn = (entries: Entry[], id: string) =>
  entries.filter((e) => e.id === id && (e.type === 'transfer_out' || e.type === 'transfer_in'));

/** Oldest first, each balanceAfter the previous one plus or minus its amount. */
function expectChained(entries: Entry[]): void {
  let running = 0;
  for (const e of [...entries].reverse()) {
    running += ['charge', 'reversal', 'withdrawal', 'transfer_out'].includes(e.type) ? -e.amountMicros : e.amountMicros;
    expect(e.balanceAfterMicros).toBe(running);
  }
}

/** Makes a transfer look as old as one the caller gave up on, so that the sender's alarm picks it up. */
async function age(reader: Reader, transferId: string): Promise<void> {
  await runInDurableObject(walletStub(reader.readerId), (_w, state) => {
    state.storage.sql.exec('UPDATE transfers SET at = at - ? WHERE id = ?', TRANSFER_RETRY_AFTER_MS + 1000, transferId);
  });
}

describe('transferBalance', () => {
  it('moves the balance: one transfer_out and one transfer_in under the transfer id, and a repeat moves nothing more', async () => {
    const [a, b] = [await newReader(5_000), await newReader(1_000)];
    const first = await transferBalance(env, { fromReaderId: a.readerId, toReaderId: b.readerId, transferId: 't1' });
    expect(first).toEqual({ ok: true, transferId: 't1', movedMicros: 5_000, state: 'done', duplicate: false });
    expect([await balance(a), await balance(b)]).toEqual([0, 6_000]);

    const again = await transferBalance(env, { fromReaderId: a.readerId, toReaderId: b.readerId, transferId: 't1' });
    expect(again).toEqual({ ...first, duplicate: true });
    expect([await balance(a), await balance(b)]).toEqual([0, 6_000]);

    const [la, lb] = [await ledgerOf(a), await ledgerOf(b)];
    expect(transfersIn(la, 't1')).toMatchObject([
      { type: 'transfer_out', amountMicros: 5_000, balanceAfterMicros: 0, reason: `Moved to reader ${b.readerId}` },
    ]);
    expect(transfersIn(lb, 't1')).toMatchObject([
      { type: 'transfer_in', amountMicros: 5_000, balanceAfterMicros: 6_000, reason: `Moved from reader ${a.readerId}` },
    ]);
    expectChained(la);
    expectChained(lb);
    expect(await walletStub(a.readerId).transfer('t1')).toMatchObject({
      direction: 'out',
      state: 'done',
      senderState: 'done',
      amount: 5_000,
    });
    expect(await walletStub(b.readerId).transfer('t1')).toMatchObject({ direction: 'in', state: 'done', amount: 5_000 });
  });

  it('moves at most the balance: a part of it on request, never what a view in flight was charged', async () => {
    const [a, b] = [await newReader(5_000), await newReader()];
    const wallet = walletStub(a.readerId);
    const receipt = crypto.randomUUID();
    const charged = await wallet.charge({ receipt, host: 'news.test', path: '/p', windowKey: 'news.test/p', priceMicros: 1_500 });
    expect(charged).toMatchObject({ ok: true, voidable: true, balanceMicros: 3_500 });
    expect(
      await transferBalance(env, { fromReaderId: a.readerId, toReaderId: b.readerId, transferId: 'part', amountMicros: 1_000 }),
    ).toMatchObject({ movedMicros: 1_000 });
    expect(
      await transferBalance(env, { fromReaderId: a.readerId, toReaderId: b.readerId, transferId: 'rest', amountMicros: 1_000_000 }),
    ).toMatchObject({ movedMicros: 2_500 });
    // The view's charge stands: its price was taken before the transfers.
    expect(await wallet.receipt(receipt)).not.toBeNull();
    expect([await balance(a), await balance(b)]).toEqual([0, 3_500]);
    expectChained(await ledgerOf(a));
  });

  it('moves nothing out of an empty wallet or one in debt, and records it done without a ledger entry', async () => {
    const [a, b] = [await newReader(), await newReader()];
    const wallet = walletStub(a.readerId);
    expect(await transferBalance(env, { fromReaderId: a.readerId, toReaderId: b.readerId, transferId: 'empty' })).toEqual({
      ok: true,
      transferId: 'empty',
      movedMicros: 0,
      state: 'done',
      duplicate: false,
    });

    // In debt: a card top-up refunded in Stripe after part of it was moved away.
    await wallet.credit({ type: 'topup', amountMicros: 1_000, paymentIntent: 'pi_debt' });
    await transferBalance(env, { fromReaderId: a.readerId, toReaderId: b.readerId, transferId: 'before', amountMicros: 600 });
    await wallet.takeBack({ kind: 'refunded', paymentIntent: 'pi_debt', refundedMicros: 1_000 });
    expect(await balance(a)).toBe(-600);
    expect(await transferBalance(env, { fromReaderId: a.readerId, toReaderId: b.readerId, transferId: 'debt' })).toMatchObject({
      ok: true,
      movedMicros: 0,
    });
    expect(await balance(a)).toBe(-600);
    expect((await ledgerOf(a)).filter((e) => e.type === 'transfer_out')).toHaveLength(1);
    expect(await balance(b)).toBe(600);
  });

  it('refuses to move a reader’s money to itself, and a transfer id reused for another receiver', async () => {
    const [a, b, c] = [await newReader(1_000), await newReader(), await newReader()];
    expect(await transferBalance(env, { fromReaderId: a.readerId, toReaderId: a.readerId, transferId: 'self' })).toMatchObject({
      ok: false,
      reason: 'same_reader',
    });
    expect(await walletStub(a.readerId).transferOut({ transferId: 'self', toReaderId: a.readerId, amountMicros: 'all' })).toMatchObject({
      ok: false,
      reason: 'same_reader',
    });
    await transferBalance(env, { fromReaderId: a.readerId, toReaderId: b.readerId, transferId: 'x', amountMicros: 10 });
    expect(await transferBalance(env, { fromReaderId: a.readerId, toReaderId: c.readerId, transferId: 'x' })).toMatchObject({
      ok: false,
      reason: 'transfer_conflict',
    });
    expect([await balance(a), await balance(b), await balance(c)]).toEqual([990, 10, 0]);
  });

  it('refuses bad amounts and ids as values, never by throwing', async () => {
    const [a, b] = [await newReader(1_000), await newReader()];
    const wallet = walletStub(a.readerId);
    for (const amountMicros of [-1, 1.5, Number.NaN, '5' as unknown as number]) {
      expect(await wallet.transferOut({ transferId: 'bad', toReaderId: b.readerId, amountMicros })).toMatchObject({
        ok: false,
        reason: 'invalid_request',
      });
    }
    expect(await wallet.transferOut({ transferId: '', toReaderId: b.readerId, amountMicros: 1 })).toMatchObject({
      ok: false,
      reason: 'invalid_request',
    });
    expect(await walletStub(b.readerId).transferIn({ transferId: 'bad', fromReaderId: a.readerId, amountMicros: -5 })).toMatchObject({
      ok: false,
      reason: 'invalid_request',
    });
    expect(await balance(a)).toBe(1_000);
  });
});

describe('a transfer stopped at any step finishes exactly once', () => {
  it('after the sender recorded it only: a retry of the orchestrator delivers it', async () => {
    const [a, b] = [await newReader(3_000), await newReader()];
    const out = await walletStub(a.readerId).transferOut({ transferId: 's1', toReaderId: b.readerId, amountMicros: 2_000 });
    expect(out).toMatchObject({ ok: true, amountMicros: 2_000, state: 'pending' });
    expect([await balance(a), await balance(b)]).toEqual([1_000, 0]);
    expect(await walletStub(a.readerId).pendingTransfers(0)).toMatchObject([
      { transferId: 's1', toReaderId: b.readerId, amountMicros: 2_000 },
    ]);

    // The retry asks for more than the first call did: the first call's amount stands.
    expect(await transferBalance(env, { fromReaderId: a.readerId, toReaderId: b.readerId, transferId: 's1' })).toMatchObject({
      ok: true,
      movedMicros: 2_000,
      state: 'done',
    });
    expect([await balance(a), await balance(b)]).toEqual([1_000, 2_000]);
    expect(await walletStub(a.readerId).pendingTransfers(0)).toEqual([]);
  });

  it('after the receiver credited it but the sender never heard: a retry marks it delivered and credits nothing more', async () => {
    const [a, b] = [await newReader(3_000), await newReader()];
    await walletStub(a.readerId).transferOut({ transferId: 's2', toReaderId: b.readerId, amountMicros: 'all' });
    expect(await walletStub(b.readerId).transferIn({ transferId: 's2', fromReaderId: a.readerId, amountMicros: 3_000 })).toMatchObject({
      ok: true,
      duplicate: false,
    });
    expect(await walletStub(b.readerId).transferIn({ transferId: 's2', fromReaderId: a.readerId, amountMicros: 3_000 })).toMatchObject({
      ok: true,
      duplicate: true,
    });
    expect(await walletStub(a.readerId).transfer('s2')).toMatchObject({ state: 'pending' });

    expect(await transferBalance(env, { fromReaderId: a.readerId, toReaderId: b.readerId, transferId: 's2' })).toMatchObject({
      ok: true,
      movedMicros: 3_000,
      state: 'done',
    });
    expect([await balance(a), await balance(b)]).toEqual([0, 3_000]);
    expect(transfersIn(await ledgerOf(b), 's2')).toHaveLength(1);
  });

  it('left pending by its caller: the sender’s alarm delivers it, and the orchestrator later finds it done', async () => {
    const [a, b] = [await newReader(3_000), await newReader()];
    await walletStub(a.readerId).transferOut({ transferId: 's3', toReaderId: b.readerId, amountMicros: 1_200 });
    // Too young: the caller may still be finishing it; the alarm leaves it and comes back.
    expect(await runDurableObjectAlarm(walletStub(a.readerId))).toBe(true);
    expect(await walletStub(a.readerId).transfer('s3')).toMatchObject({ state: 'pending' });
    await age(a, 's3');
    expect(await runDurableObjectAlarm(walletStub(a.readerId))).toBe(true);
    expect(await walletStub(a.readerId).transfer('s3')).toMatchObject({ state: 'done', senderState: 'done' });
    expect([await balance(a), await balance(b)]).toEqual([1_800, 1_200]);
    // Nothing pending is left, so the alarm does not come back for transfers.
    expect(await runDurableObjectAlarm(walletStub(a.readerId))).toBe(false);

    expect(await transferBalance(env, { fromReaderId: a.readerId, toReaderId: b.readerId, transferId: 's3' })).toMatchObject({
      ok: true,
      movedMicros: 1_200,
      state: 'done',
    });
    expect([await balance(a), await balance(b)]).toEqual([1_800, 1_200]);
  });

  it('does not cancel or postpone the usage flush alarm', async () => {
    const [a, b] = [await newReader(3_000), await newReader()];
    const wallet = walletStub(a.readerId);
    const flushAt = Date.now() + 5_000;
    await runInDurableObject(wallet, (_w, state) => state.storage.setAlarm(flushAt));
    await wallet.transferOut({ transferId: 'keep', toReaderId: b.readerId, amountMicros: 100 });
    expect(await runInDurableObject(wallet, (_w, state) => state.storage.getAlarm())).toBe(flushAt);
  });

  it('refused by a receiver over the balance limit: the sender gets its money back once, and the refusal stands', async () => {
    const [a, b] = [await newReader(5_000), await newReader()];
    await walletStub(b.readerId).credit({ type: 'credit', amountMicros: MAX_BALANCE_MICROS - 1_000, reason: 'near the limit' });
    const moved = await transferBalance(env, { fromReaderId: a.readerId, toReaderId: b.readerId, transferId: 'full' });
    expect(moved).toEqual({ ok: true, transferId: 'full', movedMicros: 0, state: 'returned', duplicate: false });
    expect([await balance(a), await balance(b)]).toEqual([5_000, MAX_BALANCE_MICROS - 1_000]);

    // Room now, but the same transfer stays refused: the money already went back.
    await walletStub(b.readerId).transferOut({ transferId: 'room', toReaderId: a.readerId, amountMicros: 10_000 });
    expect(await walletStub(b.readerId).transferIn({ transferId: 'full', fromReaderId: a.readerId, amountMicros: 5_000 })).toMatchObject({
      ok: false,
      reason: 'refused',
    });
    expect(await transferBalance(env, { fromReaderId: a.readerId, toReaderId: b.readerId, transferId: 'full' })).toEqual({
      ...moved,
      duplicate: true,
    });
    expect(await walletStub(a.readerId).transferReturned('full')).toMatchObject({ ok: false, reason: 'not_pending', state: 'returned' });
    expect(await balance(a)).toBe(5_000);
    const la = await ledgerOf(a);
    expect(la.filter((e) => e.type === 'transfer_in')).toMatchObject([{ amountMicros: 5_000, balanceAfterMicros: 5_000 }]);
    expectChained(la);
  });

  it('refused by a receiver over the limit and left pending: the alarm returns the money', async () => {
    const [a, b] = [await newReader(5_000), await newReader()];
    await walletStub(b.readerId).credit({ type: 'credit', amountMicros: MAX_BALANCE_MICROS, reason: 'at the limit' });
    await walletStub(a.readerId).transferOut({ transferId: 'late', toReaderId: b.readerId, amountMicros: 'all' });
    expect(await balance(a)).toBe(0);
    await age(a, 'late');
    await runDurableObjectAlarm(walletStub(a.readerId));
    expect(await walletStub(a.readerId).transfer('late')).toMatchObject({ state: 'done', senderState: 'returned' });
    expect([await balance(a), await balance(b)]).toEqual([5_000, MAX_BALANCE_MICROS]);
  });

  it('to a reader that does not exist: refused for good and returned', async () => {
    const a = await newReader(700);
    const ghost = 'r_AAAAAAAAAAAAAAAAAAAAAA';
    expect(await transferBalance(env, { fromReaderId: a.readerId, toReaderId: ghost, transferId: 'ghost' })).toMatchObject({
      ok: true,
      movedMicros: 0,
      state: 'returned',
    });
    expect(await balance(a)).toBe(700);
    expect(await walletStub(ghost).exists()).toBe(false);
  });
});
