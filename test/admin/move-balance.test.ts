import { reset } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BALANCE_MICROS } from '../../src/wallet/wallet';
import { ADMIN, adminCall, balanceOf, json, ledgerOf, newReader, type Reader } from '../support/paywall';
import { createPublisher, keyAuth } from '../support/publishers';
import { walletStub } from '../support/usage';

afterEach(() => reset());

const move = (from: string, body: unknown, headers: Record<string, string> = ADMIN) =>
  adminCall(`/__paywall/api/admin/readers/${from}/move`, json(body, headers));

type Moved = { movedMicros: number; fromBalanceMicros: number; toBalanceMicros: number; transferId: string };

async function auditOf(readerId: string) {
  const res = await adminCall('/__paywall/api/admin/audit?limit=100', { headers: ADMIN });
  const { entries } = await res.json<{
    entries: { action: string; readerId: string | null; before: unknown; after: unknown; detail: Record<string, unknown> }[];
  }>();
  return entries.filter((e) => e.action === 'reader.move' && e.readerId === readerId);
}

describe('POST /admin/readers/:readerId/move', () => {
  it('moves everything the reader has to the other reader, once per Idempotency-Key, and audits it once', async () => {
    const [a, b] = [await newReader(4_000), await newReader(500)];
    const send = () =>
      move(a.readerId, { toReaderId: b.readerId, reason: 'merging two accounts' }, { ...ADMIN, 'idempotency-key': 'merge-1' });
    const res = await send();
    expect(res.status).toBe(200);
    const moved = await res.json<Moved>();
    expect(moved).toMatchObject({ movedMicros: 4_000, fromBalanceMicros: 0, toBalanceMicros: 4_500 });

    await topUp2(a, 300);
    const again = await send();
    expect(again.status).toBe(200);
    expect(await again.json<Moved>()).toMatchObject({ movedMicros: 4_000, transferId: moved.transferId, fromBalanceMicros: 300 });
    expect([await balanceOf(a), await balanceOf(b)]).toEqual([300, 4_500]);
    expect((await ledgerOf(b)).filter((e) => e.type === 'transfer_in')).toMatchObject([{ id: moved.transferId, amountMicros: 4_000 }]);
    expect((await ledgerOf(a)).filter((e) => e.type === 'transfer_out')).toMatchObject([{ id: moved.transferId, amountMicros: 4_000 }]);

    const audited = await auditOf(a.readerId);
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({
      before: { fromBalanceMicros: 4_000, toBalanceMicros: 500 },
      after: { fromBalanceMicros: 0, toBalanceMicros: 4_500 },
      detail: {
        toReaderId: b.readerId,
        movedMicros: 4_000,
        reason: 'merging two accounts',
        transferId: moved.transferId,
        idempotencyKey: 'merge-1',
      },
    });
  });

  it('without an Idempotency-Key each call is a move of its own', async () => {
    const [a, b] = [await newReader(1_000), await newReader()];
    const first = await (await move(a.readerId, { toReaderId: b.readerId, reason: 'r' })).json<Moved>();
    await topUp2(a, 200);
    const second = await (await move(a.readerId, { toReaderId: b.readerId, reason: 'r' })).json<Moved>();
    expect(second.transferId).not.toBe(first.transferId);
    expect([first.movedMicros, second.movedMicros]).toEqual([1_000, 200]);
    expect(await balanceOf(b)).toBe(1_200);
  });

  it('is the operator’s alone: a publisher’s key gets 403 and nothing moves', async () => {
    const [a, b] = [await newReader(1_000), await newReader()];
    const { apiKey } = await createPublisher('Pub', ['pub.test']);
    const res = await move(a.readerId, { toReaderId: b.readerId, reason: 'r' }, keyAuth(apiKey));
    expect(res.status).toBe(403);
    expect([await balanceOf(a), await balanceOf(b)]).toEqual([1_000, 0]);
  });

  it('answers 404 when either reader does not exist, and moves nothing', async () => {
    const a = await newReader(1_000);
    const ghost = 'r_AAAAAAAAAAAAAAAAAAAAAA';
    const toGhost = await move(a.readerId, { toReaderId: ghost, reason: 'r' });
    expect(toGhost.status).toBe(404);
    expect(await toGhost.json()).toMatchObject({ error: 'reader_not_found', field: 'toReaderId' });
    const fromGhost = await move(ghost, { toReaderId: a.readerId, reason: 'r' });
    expect(fromGhost.status).toBe(404);
    expect(await fromGhost.json()).toMatchObject({ error: 'reader_not_found', field: 'readerId' });
    expect(await balanceOf(a)).toBe(1_000);
    expect(await walletStub(ghost).exists()).toBe(false);
  });

  it('answers 400 naming the field for the same reader, bad ids and bad bodies, and changes nothing', async () => {
    const [a, b] = [await newReader(1_000), await newReader()];
    const same = await move(a.readerId, { toReaderId: a.readerId, reason: 'r' });
    expect(same.status).toBe(400);
    expect(await same.json()).toMatchObject({ error: 'same_reader', field: 'toReaderId' });

    const badPath = await move('nobody', { toReaderId: b.readerId, reason: 'r' });
    expect(badPath.status).toBe(400);
    expect(await badPath.json()).toMatchObject({ field: 'readerId' });

    for (const [body, field] of [
      [{ toReaderId: 'nobody', reason: 'r' }, 'toReaderId'],
      [{ toReaderId: 5, reason: 'r' }, 'toReaderId'],
      [{ reason: 'r' }, 'toReaderId'],
      [{ toReaderId: b.readerId }, 'reason'],
      [{ toReaderId: b.readerId, reason: '   ' }, 'reason'],
      [{ toReaderId: b.readerId, reason: 'r', amountMicros: 5 }, 'amountMicros'],
    ] as const) {
      const res = await move(a.readerId, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await res.json<{ field: string }>()).field, JSON.stringify(body)).toBe(field);
    }
    const notJson = await adminCall(`/__paywall/api/admin/readers/${a.readerId}/move`, {
      method: 'POST',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      body: '{',
    });
    expect(notJson.status).toBe(400);
    const badKey = await move(a.readerId, { toReaderId: b.readerId, reason: 'r' }, { ...ADMIN, 'idempotency-key': 'bad key' });
    expect(badKey.status).toBe(400);

    expect([await balanceOf(a), await balanceOf(b)]).toEqual([1_000, 0]);
    expect((await ledgerOf(a)).map((e) => e.type)).toEqual(['topup']);
    expect(await auditOf(a.readerId)).toEqual([]);
  });

  it('answers 409 when the Idempotency-Key already moved this reader’s money elsewhere', async () => {
    const [a, b, c] = [await newReader(1_000), await newReader(), await newReader()];
    expect((await move(a.readerId, { toReaderId: b.readerId, reason: 'r' }, { ...ADMIN, 'idempotency-key': 'k' })).status).toBe(200);
    expect((await move(a.readerId, { toReaderId: c.readerId, reason: 'r' }, { ...ADMIN, 'idempotency-key': 'k' })).status).toBe(409);
    expect(await balanceOf(c)).toBe(0);
  });

  it('answers 400 balance_limit when the receiver is full, and the money stays with the sender', async () => {
    const [a, b] = [await newReader(1_000), await newReader()];
    await walletStub(b.readerId).credit({ type: 'credit', amountMicros: MAX_BALANCE_MICROS, reason: 'full' });
    const res = await move(a.readerId, { toReaderId: b.readerId, reason: 'r' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'balance_limit', field: 'toReaderId' });
    expect([await balanceOf(a), await balanceOf(b)]).toEqual([1_000, MAX_BALANCE_MICROS]);
  });
});

async function topUp2(reader: Reader, amountMicros: number): Promise<void> {
  await walletStub(reader.readerId).credit({ type: 'topup', amountMicros });
}
