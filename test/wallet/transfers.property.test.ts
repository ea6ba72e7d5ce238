import { abortAllDurableObjects, evictDurableObject, reset, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { afterEach, expect, it } from 'vitest';
import { transferBalance } from '../../src/wallet/transfer-balance';
import { TRANSFER_RETRY_AFTER_MS } from '../../src/wallet/transfers';
import { MAX_BALANCE_MICROS } from '../../src/wallet/wallet';
import { call, json, ledgerOf, newReader, putSite, siteDoc, STANDARD_RULES, type Entry, type Reader } from '../support/paywall';
import { chargedMicros, visit, walletStub, type Visit } from '../support/usage';

afterEach(() => reset());

const READERS = 3;
const reader = fc.integer({ min: 0, max: READERS - 1 });
/** A small pool per sender, so that ids are retried, and reused for another receiver. */
const slot = fc.integer({ min: 0, max: 2 });
const amount = fc.oneof(fc.constant('all' as const), fc.integer({ min: 0, max: 12_000 }));

const action = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('topup' as const), reader, amount: fc.integer({ min: 0, max: 20_000 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('view' as const),
      reader,
      path: fc.constantFrom('/premium/a', '/articles/x', '/status/500/paid', '/broken-body/paid', '/free'),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('transfer' as const),
      from: reader,
      to: reader,
      slot,
      amount,
      // Where the caller stops: after the sender's step, after the receiver's, or nowhere.
      stop: fc.constantFrom('out' as const, 'in' as const, 'none' as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('viewDuringTransfer' as const), from: reader, to: reader, slot }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('transferWhileHeld' as const), from: reader, to: reader, slot, commit: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('retry' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('alarm' as const), reader, aged: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('evict' as const), reader }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abortAll' as const) }) },
  // A receiver this full refuses what is moved to it: the sender must get it back.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fill' as const), reader }) },
);
type Action = typeof action extends fc.Arbitrary<infer A> ? A : never;

/** Makes every pending transfer of the reader old enough for its alarm to finish it. */
async function ageTransfers(r: Reader): Promise<void> {
  await runInDurableObject(walletStub(r.readerId), (_w, state) => {
    state.storage.sql.exec("UPDATE transfers SET at = at - ? WHERE state = 'pending'", TRANSFER_RETRY_AFTER_MS + 1000);
  });
}

/** Money that left a sender and has reached no receiver yet. */
async function inFlight(readers: Reader[]): Promise<number> {
  let sum = 0;
  for (const r of readers) {
    for (const t of await walletStub(r.readerId).pendingTransfers(0)) {
      const there = await walletStub(t.toReaderId).transfer(t.transferId);
      if (!there || there.amount === 0) sum += t.amountMicros;
    }
  }
  return sum;
}

const OUT = new Set(['charge', 'reversal', 'withdrawal', 'transfer_out']);

/** Checks one ledger's chain and returns its charges net of refunds. */
function checkLedger(entries: Entry[], balance: number): { grossCharges: number; refunds: number } {
  let running = 0;
  let grossCharges = 0;
  let refunds = 0;
  for (const e of [...entries].reverse()) {
    running += OUT.has(e.type) ? -e.amountMicros : e.amountMicros;
    expect(e.balanceAfterMicros).toBe(running);
    expect(running).toBeGreaterThanOrEqual(0);
    if (e.type === 'charge') grossCharges += e.amountMicros;
    if (e.type === 'refund') refunds += e.amountMicros;
  }
  expect(running).toBe(balance);
  return { grossCharges, refunds };
}

let run = 0;

it('top-ups, views, transfers stopped at any step, retries, alarms and evictions conserve money exactly', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 16 }), async (actions: Action[]) => {
      const host = `transfers${++run}.test`;
      expect((await putSite(siteDoc(STANDARD_RULES, host), host)).status).toBe(200);
      const readers = await Promise.all(Array.from({ length: READERS }, () => newReader()));
      const id = (r: number) => readers[r]!.readerId;
      let toppedUp = 0;
      let chargedByHeaders = 0;
      /** Every transfer id begun, with the pair it was begun for. */
      const begun = new Map<string, { from: number; to: number }>();
      const look = (v: Visit) => {
        if (v.status === 200) chargedByHeaders += chargedMicros(v);
      };

      for (const a of actions) {
        switch (a.kind) {
          case 'topup': {
            const res = await call('/__paywall/api/dev/topup', json({ amountMicros: a.amount }, readers[a.reader]!.auth));
            // Refused only for a wallet filled to its limit.
            expect([200, 400]).toContain(res.status);
            if (res.status === 200) toppedUp += a.amount;
            break;
          }
          case 'fill': {
            const wallet = walletStub(id(a.reader));
            const room = MAX_BALANCE_MICROS - 500 - (await wallet.summary()).balanceMicros;
            if (room > 0 && (await wallet.credit({ type: 'credit', amountMicros: room, reason: 'fill' })).ok) toppedUp += room;
            break;
          }
          case 'view':
            look(await visit(a.path, readers[a.reader]!, { host }));
            break;
          case 'transfer': {
            const transferId = `${id(a.from)}-${a.slot}`;
            if (a.from === a.to) {
              expect(await transferBalance(env, { fromReaderId: id(a.from), toReaderId: id(a.to), transferId })).toMatchObject({
                ok: false,
                reason: 'same_reader',
              });
              break;
            }
            const first = begun.get(transferId);
            if (!first) begun.set(transferId, { from: a.from, to: a.to });
            if (a.stop === 'none') {
              const moved = await transferBalance(env, {
                fromReaderId: id(a.from),
                toReaderId: id(a.to),
                transferId,
                amountMicros: a.amount,
              });
              expect(moved.ok).toBe(!first || first.to === a.to);
              break;
            }
            const out = await walletStub(id(a.from)).transferOut({ transferId, toReaderId: id(a.to), amountMicros: a.amount });
            if (out.ok && out.state === 'pending' && a.stop === 'in') {
              const received = await walletStub(id(a.to)).transferIn({
                transferId,
                fromReaderId: id(a.from),
                amountMicros: out.amountMicros,
              });
              expect(received.ok || received.reason === 'balance_limit').toBe(true);
            }
            break;
          }
          case 'viewDuringTransfer': {
            if (a.from === a.to) break;
            const transferId = `${id(a.from)}-${a.slot}`;
            if (!begun.has(transferId)) begun.set(transferId, { from: a.from, to: a.to });
            const [v] = await Promise.all([
              visit('/premium/a', readers[a.from]!, { host }),
              transferBalance(env, { fromReaderId: id(a.from), toReaderId: id(a.to), transferId }),
            ]);
            look(v);
            // The transfer leaves what the view holds: it is served and charged, or refused for want of money, never failed.
            expect([200, 402]).toContain(v.status);
            break;
          }
          case 'transferWhileHeld': {
            // A view charged while its origin answers, the money moving meanwhile; voided if the origin failed.
            if (a.from === a.to) break;
            const transferId = `${id(a.from)}-${a.slot}`;
            if (!begun.has(transferId)) begun.set(transferId, { from: a.from, to: a.to });
            const wallet = walletStub(id(a.from));
            const receipt = crypto.randomUUID();
            const charged = await wallet.charge({
              receipt,
              host,
              path: '/premium/held',
              windowKey: `${host}/premium/held`,
              priceMicros: 1_000,
            });
            await transferBalance(env, { fromReaderId: id(a.from), toReaderId: id(a.to), transferId });
            if (charged.ok && charged.voidable) {
              if (a.commit) {
                chargedByHeaders += charged.chargedMicros;
                expect(await wallet.receipt(receipt)).not.toBeNull();
              } else await wallet.void(receipt);
            }
            break;
          }
          case 'retry': {
            const ids = [...begun];
            if (ids.length === 0) break;
            const [transferId, { from, to }] = ids[a.pick % ids.length]!;
            expect(await transferBalance(env, { fromReaderId: id(from), toReaderId: id(to), transferId })).toMatchObject({ ok: true });
            break;
          }
          case 'alarm':
            if (a.aged) await ageTransfers(readers[a.reader]!);
            await runDurableObjectAlarm(walletStub(id(a.reader)));
            break;
          case 'evict': {
            const stub = walletStub(id(a.reader));
            await stub.exists();
            await evictDurableObject(stub);
            break;
          }
          case 'abortAll':
            await abortAllDurableObjects();
            break;
        }
      }

      const conserved = async () => {
        let balances = 0;
        let grossCharges = 0;
        let refunds = 0;
        for (const r of readers) {
          const balance = (await walletStub(r.readerId).summary()).balanceMicros;
          const totals = checkLedger(await ledgerOf(r), balance);
          balances += balance;
          grossCharges += totals.grossCharges;
          refunds += totals.refunds;
        }
        expect(grossCharges).toBe(chargedByHeaders);
        expect(balances + (await inFlight(readers))).toBe(toppedUp - (grossCharges - refunds));
      };
      await conserved();

      // Every transfer left pending is finished by its sender's alarm, and none twice.
      for (let round = 0; round < 5; round++) {
        for (const r of readers) {
          await ageTransfers(r);
          await runDurableObjectAlarm(walletStub(r.readerId));
        }
      }
      for (const r of readers) expect(await walletStub(r.readerId).pendingTransfers(0)).toEqual([]);
      expect(await inFlight(readers)).toBe(0);
      await conserved();

      const ledgers = await Promise.all(readers.map((r) => ledgerOf(r)));
      for (const [transferId, { from, to }] of begun) {
        const outs = ledgers[from]!.filter((e) => e.id === transferId && e.type === 'transfer_out');
        const ins = ledgers[to]!.filter((e) => e.id === transferId && e.type === 'transfer_in');
        const sent = await walletStub(id(from)).transfer(transferId);
        expect(outs.length).toBeLessThanOrEqual(1);
        expect(ins.length).toBeLessThanOrEqual(1);
        const back = ledgers[from]!.filter(
          (e) => e.type === 'transfer_in' && (e as Entry & { reason?: string }).reason?.includes(`(transfer ${transferId})`),
        );
        // Whatever left the sender reached the receiver, or came back to the sender: once.
        if (sent?.senderState === 'returned') {
          expect(ins).toEqual([]);
          expect(back.map((e) => e.amountMicros)).toEqual(outs.map((e) => e.amountMicros));
        } else {
          expect(back).toEqual([]);
          expect(ins.map((e) => e.amountMicros)).toEqual(outs.map((e) => e.amountMicros));
          if (sent) expect(sent.senderState).toBe('done');
        }
      }
    }),
    { numRuns: 60 },
  );
});
