import { abortAllDurableObjects, evictDurableObject, reset, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { UsageAggregator } from '../../src/usage/usage-aggregator';
import type { Wallet } from '../../src/wallet/wallet';
import { newReader, putSite, siteDoc, STANDARD_RULES, type Reader } from '../support/paywall';
import { kvTotals, ledgerTotals, unchargedViews, usageStub, visit, walletStub, type Visit } from '../support/usage';

afterEach(() => reset());

const READERS = 3;
const reader = fc.integer({ min: 0, max: READERS - 1 });

const action = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('paid' as const), reader, path: fc.constantFrom('/premium/a', '/premium/b') }), weight: 3 },
  {
    arbitrary: fc.record({ kind: fc.constant('article' as const), reader, path: fc.constantFrom('/articles/x', '/articles/y') }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('free' as const), reader: fc.option(reader), path: fc.constantFrom('/', '/free/a') }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('refunded' as const), reader }), weight: 2 },
  {
    arbitrary: fc.record({ kind: fc.constant('declined' as const), reader, path: fc.constantFrom('/status/500/paid', '/status/404/free') }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant('replay' as const), reader, key: fc.constantFrom('k1', 'k2') }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('flushWallet' as const), reader }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('flushDuringView' as const), reader }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('flushUsage' as const) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('evictWallet' as const), reader }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('evictUsage' as const) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('abortAll' as const) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('ledgerOutage' as const) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('glitch' as const) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('loseAck' as const), reader }), weight: 1 },
);

/** Makes the live aggregator's storage throw on the statements `fails` picks, in the middle of a count's transaction. */
async function injectUsageFault(host: string, fails: (query: string) => boolean): Promise<void> {
  await runInDurableObject(usageStub(host), (aggregator: UsageAggregator) => {
    // Every statement of the aggregator runs through its counting wrapper's SQL handle.
    const target = (aggregator as unknown as { db: { sql: SqlStorage } }).db;
    const real = target.sql;
    target.sql = {
      exec: (query: string, ...params: unknown[]) => {
        if (fails(query)) throw new Error('injected: storage failed mid-count');
        return real.exec(query, ...params);
      },
    } as SqlStorage;
  });
}

/**
 * An outage of ledger deliveries until the aggregator is evicted: the wallets must keep
 * their rows and try again for as long as it takes. (It fails the last statement of the
 * transaction, after the day's counts were added, so a partial count would show.)
 */
const ledgerOutage = (host: string) => injectUsageFault(host, (q) => q.includes('INSERT INTO reader_seqs'));

/**
 * A glitch: the next two counts of any kind fail; a free view's retries must get past it.
 * A glitch during a glitch starts the two again rather than adding two more: four failures
 * in a row outlast a free view's retries, which README.md states as the limit.
 */
function glitch(host: string): Promise<void> {
  return runInDurableObject(usageStub(host), (aggregator: UsageAggregator) => {
    const target = (aggregator as unknown as { db: { sql: SqlStorage; glitch?: { left: number } } }).db;
    if (target.glitch) {
      target.glitch.left = 2;
      return;
    }
    const state = (target.glitch = { left: 2 });
    const real = target.sql;
    target.sql = {
      exec: (query: string, ...params: unknown[]) => {
        if (query.includes('INSERT INTO days') && state.left > 0) {
          state.left -= 1;
          throw new Error('injected: storage failed mid-count');
        }
        return real.exec(query, ...params);
      },
    } as SqlStorage;
  });
}

/** The wallet's next flush stops after the aggregators counted, before it records that they did. */
async function loseAck(readerId: string): Promise<void> {
  await runInDurableObject(walletStub(readerId), (wallet: Wallet) => {
    const ledger = (wallet as unknown as { usage: { ledger: { acknowledge: (seq: number) => void } } }).usage.ledger;
    const real = ledger.acknowledge;
    ledger.acknowledge = () => {
      ledger.acknowledge = real;
      throw new Error('injected: the wallet stopped before advancing its cursor');
    };
  });
}

type Action = typeof action extends fc.Arbitrary<infer A> ? A : never;

let run = 0;

/**
 * Runs every pending alarm until none is left, the way the platform would, without calling a
 * flush directly. Each injected fault (at most one per action, twelve actions) can cost a
 * round, so the bound is well above that: hitting it means a flush that never settles.
 */
/**
 * Runs the alarms until no usage is left to deliver. A wallet's sweep of expired re-view
 * windows keeps an alarm set an hour or more ahead while it has live windows, so "until no
 * alarm re-arms" never comes; what must come is every charge and refund past the wallet's
 * usage cursor, and the aggregator's flush.
 */
async function drain(readers: Reader[], host: string): Promise<void> {
  const undelivered = (stub: DurableObjectStub) =>
    runInDurableObject(
      stub,
      (_o, state) =>
        state.storage.sql
          .exec<{ n: number }>(
            "SELECT COUNT(*) AS n FROM ledger WHERE type IN ('charge','refund') AND host IS NOT NULL AND seq > COALESCE((SELECT value FROM meta WHERE key = 'usage_cursor'), 0)",
          )
          .one().n,
    );
  for (let round = 0; round < 30; round++) {
    let ran = false;
    for (const r of readers) {
      const stub = walletStub(r.readerId);
      if ((await undelivered(stub)) > 0) ran = (await runDurableObjectAlarm(stub)) || ran;
    }
    ran = (await runDurableObjectAlarm(usageStub(host))) || ran;
    if (!ran) return;
  }
  throw new Error('alarms kept re-arming');
}

describe('usage totals, for any interleaving', () => {
  it('equal the ledgers’ charges minus refunds, plus every view charged nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 12 }), async (actions: Action[]) => {
        const host = `run${++run}.test`;
        expect((await putSite(siteDoc(STANDARD_RULES, host), host)).status).toBe(200);
        const readers = await Promise.all(Array.from({ length: READERS }, () => newReader(1_000_000)));
        const as = (i: number | null) => (i === null ? null : readers[i]!);
        const go = (path: string, r: Reader | null, headers: Record<string, string> = {}) => visit(path, r, { host, headers });
        const answered: Visit[] = [];
        let broken = false;

        for (const a of actions) {
          switch (a.kind) {
            case 'paid':
            case 'article':
            case 'declined':
              answered.push(await go(a.path, as(a.reader)));
              break;
            case 'free':
              answered.push(await go(a.path, as(a.reader)));
              break;
            case 'refunded':
              answered.push(await go('/broken-body/paid', as(a.reader)));
              break;
            case 'replay':
              answered.push(await go(`/premium/${a.key}`, as(a.reader), { 'idempotency-key': a.key }));
              break;
            case 'flushWallet':
              await runDurableObjectAlarm(walletStub(as(a.reader)!.readerId));
              break;
            case 'flushDuringView': {
              const [v] = await Promise.all([go('/premium/a', as(a.reader)), runDurableObjectAlarm(walletStub(as(a.reader)!.readerId))]);
              answered.push(v);
              break;
            }
            case 'flushUsage':
              await runDurableObjectAlarm(usageStub(host));
              break;
            case 'evictWallet': {
              const stub = walletStub(as(a.reader)!.readerId);
              await stub.exists();
              await evictDurableObject(stub);
              break;
            }
            case 'evictUsage': {
              broken = false;
              const stub = usageStub(host);
              await stub.days();
              await evictDurableObject(stub);
              break;
            }
            case 'abortAll':
              broken = false;
              await abortAllDurableObjects();
              break;
            case 'ledgerOutage':
              broken = true;
              await ledgerOutage(host);
              break;
            case 'glitch':
              await glitch(host);
              break;
            case 'loseAck':
              await loseAck(as(a.reader)!.readerId);
              break;
          }
        }
        if (broken) await evictDurableObject(usageStub(host)); // the aggregator recovers
        await drain(readers, host);

        const paid = await ledgerTotals(readers, host);
        expect(await kvTotals(host)).toEqual({ views: paid.paidViews + unchargedViews(answered), ...paid });
      }),
      { numRuns: 25 },
    );
  });
});
