import { abortAllDurableObjects, evictDurableObject, reset, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { flushPeriodMs } from '../../src/usage/flush-alarm';
import { addDays } from '../../src/usage/utc-days';
import type { UsageAggregator } from '../../src/usage/usage-aggregator';
import type { Wallet } from '../../src/wallet/wallet';
import { HOST, newReader, putSite, siteDoc, STANDARD_RULES, useStandardSite } from '../support/paywall';
import {
  chargedMicros,
  flushAll,
  flushUsage,
  kvTotals,
  ledgerTotals,
  summaryOf,
  today,
  unchargedViews,
  usageStub,
  visit,
  walletStub,
} from '../support/usage';

afterEach(() => reset());

describe('what is a view', () => {
  it('counts free views, paid views and re-views once each, and nothing else', async () => {
    await useStandardSite();
    const reader = await newReader(100_000);

    const counted = [
      await visit('/free/a', null), // free
      await visit('/free/a', reader), // free, with a reader
      await visit('/articles/a', reader), // paid 2500
      await visit('/articles/a', reader), // re-view, charged 0
      await visit('/premium/x', reader), // paid 10000
      await visit('/premium/y', reader, { headers: { 'idempotency-key': 'k1' } }), // paid 10000
      await visit('/free/post', reader, { method: 'POST' }), // any method answered 2xx
    ];
    for (const v of counted) expect(v.status).toBe(200);

    const notCounted = [
      await visit('/premium/y', reader, { headers: { 'idempotency-key': 'k1' } }), // replay
      await visit('/articles/a', reader, { method: 'HEAD' }), // HEAD inside the window
      await visit('/free/a', reader, { method: 'HEAD' }), // HEAD on a free path
      await visit('/premium/z', null), // 402
      await visit('/status/500/paid', reader), // origin failed
      await visit('/status/404/free', null), // origin non-2xx on a free path
      await visit('/status/302/free', null), // a redirect is not the content
      await visit('/slow/free', null), // origin timeout
    ];
    expect(notCounted.map((v) => v.status)).toEqual([200, 200, 200, 402, 500, 404, 302, 504]);
    expect(notCounted[0]!.headers.get('idempotency-replayed')).toBe('true');

    await flushAll([reader]);
    const summary = await summaryOf(today());
    expect(summary).toMatchObject({ host: HOST, date: today(), views: 7, paidViews: 3, revenueMicros: 22_500 });
    expect(summary!.topPaths).toEqual([
      { path: '/premium/x', paidViews: 1, revenueMicros: 10_000 },
      { path: '/premium/y', paidViews: 1, revenueMicros: 10_000 },
      { path: '/articles/a', paidViews: 1, revenueMicros: 2500 },
    ]);
    expect(await ledgerTotals([reader])).toEqual({ paidViews: 3, revenueMicros: 22_500 });
  });

  it('takes a refunded view back out', async () => {
    await useStandardSite();
    const reader = await newReader(10_000);
    const broken = await visit('/broken-body/paid', reader);
    expect(broken.headers.get('paywall-charged-micros')).toBe('1000');
    await visit('/premium/x', reader);
    await flushAll([reader]);
    expect(await ledgerTotals([reader])).toEqual({ paidViews: 1, revenueMicros: 10_000 });
    expect(await summaryOf(today())).toMatchObject({ views: 1, paidViews: 1, revenueMicros: 10_000 });
  });

  it('takes a refund back out of the day of its charge, even when the charge was already counted', async () => {
    await useStandardSite();
    const reader = await newReader(10_000);
    const paid = await visit('/premium/x', reader);
    const receipt = paid.headers.get('paywall-receipt')!;
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await runInDurableObject(walletStub(reader.readerId), (_w, state) => {
      state.storage.sql.exec("UPDATE ledger SET at = at - 86400000 WHERE type = 'charge'");
    });
    await flushAll([reader]);
    expect(await summaryOf(yesterday)).toMatchObject({ views: 1, paidViews: 1, revenueMicros: 10_000 });

    const refund = await walletStub(reader.readerId).refund(receipt, 'test');
    expect(refund.ok).toBe(true);
    await flushAll([reader]);
    expect(await summaryOf(yesterday)).toMatchObject({ views: 0, paidViews: 0, revenueMicros: 0, topPaths: [] });
    expect(await summaryOf(today())).toBeNull();
  });

  it('keeps each site apart', async () => {
    await useStandardSite();
    expect((await putSite(siteDoc(STANDARD_RULES, 'other.test'), 'other.test')).status).toBe(200);
    const reader = await newReader(100_000);
    await visit('/premium/a', reader);
    await visit('/premium/a', reader, { host: 'other.test' });
    await visit('/articles/b', reader, { host: 'other.test' });
    await visit('/free/c', reader, { host: 'other.test' });
    await flushAll([reader], [HOST, 'other.test']);
    expect(await kvTotals(HOST)).toEqual({ views: 1, paidViews: 1, revenueMicros: 10_000 });
    expect(await kvTotals('other.test')).toEqual({ views: 3, paidViews: 2, revenueMicros: 12_500 });
  });
});

describe('the flow from view to KV', () => {
  it('moves a paid view from the ledger to the aggregator to KV, each hop on an alarm due within the flush period', async () => {
    await useStandardSite();
    const reader = await newReader(10_000);
    const period = flushPeriodMs(env);
    const before = Date.now();
    await visit('/premium/x', reader);

    const walletAlarm = await runInDurableObject(walletStub(reader.readerId), (_w, s) => s.storage.getAlarm());
    expect(walletAlarm).not.toBeNull();
    expect(walletAlarm!).toBeGreaterThan(before);
    expect(walletAlarm!).toBeLessThanOrEqual(Date.now() + period);
    expect(await usageStub().days()).toEqual([]);

    expect(await runDurableObjectAlarm(walletStub(reader.readerId))).toBe(true);
    expect(await usageStub().days()).toEqual([{ date: today(), views: 1, paidViews: 1, revenueMicros: 10_000, dirty: true }]);
    expect(await summaryOf(today())).toBeNull();
    const usageAlarm = await runInDurableObject(usageStub(), (_a, s) => s.storage.getAlarm());
    expect(usageAlarm!).toBeLessThanOrEqual(Date.now() + period);

    expect(await flushUsage()).toBe(true);
    expect(await summaryOf(today())).toMatchObject({ views: 1, paidViews: 1, revenueMicros: 10_000 });
    expect(await usageStub().days()).toEqual([{ date: today(), views: 1, paidViews: 1, revenueMicros: 10_000, dirty: false }]);
    // Nothing left: neither object re-arms.
    expect(await runDurableObjectAlarm(walletStub(reader.readerId))).toBe(false);
    expect(await flushUsage()).toBe(false);
  });

  it('moves a free view straight to the aggregator, on an alarm due within the flush period', async () => {
    await useStandardSite();
    await visit('/free/a', null);
    expect(await usageStub().days()).toEqual([{ date: today(), views: 1, paidViews: 0, revenueMicros: 0, dirty: true }]);
    const alarm = await runInDurableObject(usageStub(), (_a, s) => s.storage.getAlarm());
    expect(alarm!).toBeLessThanOrEqual(Date.now() + flushPeriodMs(env));
    await flushUsage();
    expect(await summaryOf(today())).toMatchObject({ views: 1, paidViews: 0, revenueMicros: 0 });
  });

  it('never pushes a due alarm later when arming again', async () => {
    await useStandardSite();
    const reader = await newReader(100_000);
    await visit('/premium/a', reader);
    const first = await runInDurableObject(walletStub(reader.readerId), (_w, s) => s.storage.getAlarm());
    await evictDurableObject(walletStub(reader.readerId)); // a fresh instance arms again
    await visit('/premium/b', reader);
    const second = await runInDurableObject(walletStub(reader.readerId), (_w, s) => s.storage.getAlarm());
    expect(second).toBeLessThanOrEqual(first!);
  });
});

describe('many readers at once', () => {
  it('sums concurrent views across many readers exactly', async () => {
    await useStandardSite();
    const readers = await Promise.all(Array.from({ length: 24 }, () => newReader(100_000)));
    const planned = readers.flatMap((reader, i) => [
      { path: `/articles/${i % 5}`, reader },
      { path: `/articles/${i % 5}`, reader }, // one of these two is a re-view
      { path: '/premium/hot', reader },
      { path: `/premium/${i}`, reader },
      { path: `/free/${i}`, reader },
      { path: '/free/home', reader: null },
    ]);
    const visits = await Promise.all(planned.map((p) => visit(p.path, p.reader)));
    await flushAll(readers);

    // Expected from what the readers were answered, so a loaded machine's origin timeout cannot fake a miscount.
    const charged = visits.filter((v) => chargedMicros(v) > 0);
    expect(charged.length).toBeGreaterThan(24 * 2);
    const paid = await ledgerTotals(readers);
    expect(paid).toEqual({ paidViews: charged.length, revenueMicros: charged.reduce((sum, v) => sum + chargedMicros(v), 0) });
    expect(await kvTotals()).toEqual({ views: paid.paidViews + unchargedViews(visits), ...paid });
    const top = (await summaryOf(today()))!.topPaths;
    expect(top).toHaveLength(20);
    const hot = visits.filter((v, i) => planned[i]!.path === '/premium/hot' && chargedMicros(v) > 0).length;
    expect(top[0]).toEqual({ path: '/premium/hot', paidViews: hot, revenueMicros: hot * 10_000 });
  });
});

describe('a reader faster than a flush', () => {
  it('is not left behind: a flush that could not send everything comes back at once, not a period later', async () => {
    await useStandardSite();
    const reader = await newReader(100_000_000);
    // A crawler's worth of charges, more than one flush sends (10 rounds of 500 rows),
    // written straight into the ledger so that the test does not take 6,000 views.
    // One real view first, which arms the wallet's flush alarm as every charge does.
    expect((await visit('/premium/first', reader)).status).toBe(200);
    const charges = 6_000;
    const at = Date.now();
    await runInDurableObject(walletStub(reader.readerId), (_wallet: Wallet, state) => {
      state.storage.transactionSync(() => {
        let balance = state.storage.sql.exec<{ b: number }>('SELECT balance_after AS b FROM ledger ORDER BY seq DESC LIMIT 1').one().b;
        for (let i = 0; i < charges; i++) {
          balance -= 1_000;
          state.storage.sql.exec(
            "INSERT INTO ledger (id, type, amount, balance_after, at, host, path) VALUES (?, 'charge', 1000, ?, ?, ?, ?)",
            `crawl-${i}`,
            balance,
            at,
            HOST,
            `/premium/${i % 50}`,
          );
        }
      });
    });

    expect(await runDurableObjectAlarm(walletStub(reader.readerId))).toBe(true);
    const next = await runInDurableObject(walletStub(reader.readerId), (_w, state) => state.storage.getAlarm());
    expect(next).not.toBeNull();
    expect(next!).toBeLessThanOrEqual(Date.now());
    expect((await usageStub().days())[0]).toMatchObject({ paidViews: 5_000 });

    expect(await runDurableObjectAlarm(walletStub(reader.readerId))).toBe(true);
    expect((await usageStub().days())[0]).toMatchObject({ paidViews: charges + 1, revenueMicros: charges * 1_000 + 10_000 });
    // Nothing left: the wallet goes back to its period.
    expect(await runInDurableObject(walletStub(reader.readerId), (_w, state) => state.storage.getAlarm())).toBeNull();
  });
});

describe('failures between charge and summary', () => {
  it('takes a view away again when its void comes after its charge was counted, and counts no refund for it', async () => {
    await useStandardSite();
    const reader = await newReader(100_000);
    await visit('/premium/kept', reader);
    // A view charged before its origin answered, and counted by the site before the origin failed.
    const receipt = crypto.randomUUID();
    const wallet = walletStub(reader.readerId);
    const charged = await wallet.charge({
      receipt,
      host: HOST,
      path: '/premium/lost',
      windowKey: `${HOST}/premium/lost`,
      priceMicros: 10_000,
    });
    expect(charged).toMatchObject({ ok: true, voidable: true });
    await flushAll([reader]);
    expect(await kvTotals()).toEqual({ views: 2, paidViews: 2, revenueMicros: 20_000 });

    expect(await wallet.void(receipt)).toMatchObject({ ok: true, voided: true });
    await flushAll([reader]);
    expect(await kvTotals()).toEqual({ views: 1, paidViews: 1, revenueMicros: 10_000 });
    expect(await summaryOf(today())).toMatchObject({ refunds: 0, refundedMicros: 0 });
    expect((await summaryOf(today()))!.topPaths).toEqual([{ path: '/premium/kept', paidViews: 1, revenueMicros: 10_000 }]);
    expect(await ledgerTotals([reader])).toEqual({ paidViews: 1, revenueMicros: 10_000 });
  });

  it('loses and doubles nothing when the wallet is evicted between charge and flush', async () => {
    await useStandardSite();
    const reader = await newReader(100_000);
    await visit('/premium/a', reader);
    await visit('/articles/a', reader);
    await evictDurableObject(walletStub(reader.readerId));
    await flushAll([reader]);
    await evictDurableObject(walletStub(reader.readerId));
    await flushAll([reader]);
    expect(await kvTotals()).toEqual({ views: 2, paidViews: 2, revenueMicros: 12_500 });
  });

  it('loses and doubles nothing when every object is aborted between charge and flush, and between count and KV', async () => {
    await useStandardSite();
    const reader = await newReader(100_000);
    await visit('/premium/a', reader);
    await visit('/free/a', reader);
    await abortAllDurableObjects();
    // The alarm was stored with the charge, so it survives the abort.
    expect(await runDurableObjectAlarm(walletStub(reader.readerId))).toBe(true);
    await visit('/premium/b', reader);
    await abortAllDurableObjects();
    expect(await runDurableObjectAlarm(walletStub(reader.readerId))).toBe(true);
    await abortAllDurableObjects();
    expect(await flushUsage()).toBe(true);
    await flushAll([reader]);
    expect(await kvTotals()).toEqual({ views: 3, paidViews: 2, revenueMicros: 20_000 });
  });

  it('keeps the rows pending when the aggregator throws mid-apply, and counts them once later', async () => {
    await useStandardSite();
    const reader = await newReader(100_000);
    await visit('/premium/a', reader);
    await visit('/premium/b', reader);
    await runInDurableObject(usageStub(), (aggregator: UsageAggregator) => {
      // Every statement of the aggregator runs through its counting wrapper's SQL handle.
      const target = (aggregator as unknown as { db: { sql: SqlStorage } }).db;
      const real = target.sql;
      target.sql = {
        exec: (query: string, ...params: unknown[]) => {
          if (query.includes('day_paths')) throw new Error('injected: storage failed mid-apply');
          return real.exec(query, ...params);
        },
      } as SqlStorage;
    });
    expect(await runDurableObjectAlarm(walletStub(reader.readerId))).toBe(true);
    expect(await usageStub().days()).toEqual([]); // rolled back, nothing half-counted
    // The wallet re-armed itself to try again.
    expect(await runInDurableObject(walletStub(reader.readerId), (_w, s) => s.storage.getAlarm())).not.toBeNull();

    await evictDurableObject(usageStub()); // the aggregator recovers
    await flushAll([reader]);
    expect(await kvTotals()).toEqual({ views: 2, paidViews: 2, revenueMicros: 20_000 });
  });

  it('counts once when the aggregator counted but the wallet stopped before recording that', async () => {
    await useStandardSite();
    const reader = await newReader(100_000);
    await visit('/premium/a', reader);
    await runInDurableObject(walletStub(reader.readerId), (wallet: Wallet) => {
      const ledger = (wallet as unknown as { usage: { ledger: { acknowledge: () => void } } }).usage.ledger;
      ledger.acknowledge = () => {
        throw new Error('injected: the wallet stopped before advancing its cursor');
      };
    });
    expect(await runDurableObjectAlarm(walletStub(reader.readerId))).toBe(true);
    expect((await usageStub().days())[0]).toMatchObject({ views: 1, paidViews: 1 });
    // Still pending, so the wallet comes back for it.
    expect(await runInDurableObject(walletStub(reader.readerId), (_w, s) => s.storage.getAlarm())).not.toBeNull();

    await evictDurableObject(walletStub(reader.readerId));
    await visit('/premium/b', reader);
    await flushAll([reader]); // sends /premium/a again, with /premium/b
    expect(await kvTotals()).toEqual({ views: 2, paidViews: 2, revenueMicros: 20_000 });
    expect(await runDurableObjectAlarm(walletStub(reader.readerId))).toBe(false);
  });

  it('rewrites the days it could not write to KV, and only those are left dirty', async () => {
    await useStandardSite();
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const usage = usageStub();
    expect(await usage.countView(HOST, 'event-yesterday-1', yesterday)).toEqual({ ok: true, duplicate: false });
    expect(await usage.countView(HOST, 'event-today-1', today())).toEqual({ ok: true, duplicate: false });
    await runInDurableObject(usage, (aggregator: UsageAggregator) => {
      const target = aggregator as unknown as { env: Env };
      const kv = target.env.KV;
      target.env = {
        ...target.env,
        KV: {
          put: (key: string, value: string) =>
            key.endsWith(today()) ? Promise.reject(new Error('injected: KV unavailable')) : kv.put(key, value),
        } as unknown as KVNamespace,
      };
    });
    expect(await flushUsage()).toBe(true);
    expect(await summaryOf(yesterday)).toMatchObject({ views: 1 });
    expect(await summaryOf(today())).toBeNull();
    expect((await usage.days()).map((d) => d.dirty)).toEqual([false, true]);

    await evictDurableObject(usage);
    expect(await usage.countView(HOST, 'event-today-1', today())).toEqual({ ok: true, duplicate: true });
    expect(await flushUsage()).toBe(true);
    expect(await summaryOf(yesterday)).toMatchObject({ views: 1 });
    expect(await summaryOf(today())).toMatchObject({ views: 1 });
  });

  it('keeps a day dirty when views arrive while its KV write is in flight', async () => {
    const usage = usageStub();
    await usage.countView(HOST, 'event-before-write', today());
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // A plain flag, not a promise: resolving the test's promise from inside the object crashes workerd.
    let writing = false;
    await runInDurableObject(usage, (aggregator: UsageAggregator) => {
      const target = aggregator as unknown as { env: Env };
      const kv = target.env.KV;
      target.env = {
        ...target.env,
        KV: { put: async (key: string, value: string) => ((writing = true), await gate, kv.put(key, value)) } as unknown as KVNamespace,
      };
    });
    const flushing = flushUsage();
    while (!writing) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await usage.countView(HOST, 'event-during-write', today())).toEqual({ ok: true, duplicate: false });
    release();
    expect(await flushing).toBe(true);
    expect(await summaryOf(today())).toMatchObject({ views: 1 });
    expect((await usage.days())[0]).toMatchObject({ views: 2, dirty: true });
    expect(await flushUsage()).toBe(true); // it re-armed itself
    expect(await summaryOf(today())).toMatchObject({ views: 2 });
  });

  it('forgets view ids once their day is past and folds old days into their final top list, still counting late arrivals', async () => {
    const usage = usageStub();
    const old = addDays(today(), -40);
    const twoDaysAgo = addDays(today(), -2);
    await usage.applyLedger(HOST, 'reader-1', [
      { seq: 1, kind: 'charge', amountMicros: 5000, path: '/old/a', day: old },
      { seq: 2, kind: 'charge', amountMicros: 1000, path: '/old/b', day: old },
    ]);
    await usage.countView(HOST, 'event-two-days-ago', twoDaysAgo);
    await usage.countView(HOST, 'event-today-000', today());
    expect(await flushUsage()).toBe(true);
    const tables = () =>
      runInDurableObject(usage, (_a, state) => ({
        events: state.storage.sql
          .exec<{ id: string }>('SELECT id FROM view_events ORDER BY id')
          .toArray()
          .map((r) => r.id),
        paths: state.storage.sql
          .exec<{ day: string }>('SELECT DISTINCT day FROM day_paths')
          .toArray()
          .map((r) => r.day),
      }));
    expect(await tables()).toEqual({ events: ['event-today-000'], paths: [] });
    const topPaths = [
      { path: '/old/a', paidViews: 1, revenueMicros: 5000 },
      { path: '/old/b', paidViews: 1, revenueMicros: 1000 },
    ];
    expect(await summaryOf(old)).toMatchObject({ views: 2, paidViews: 2, revenueMicros: 6000, topPaths });

    // A late charge for the folded day still counts; its list stays the final one.
    await usage.applyLedger(HOST, 'reader-1', [{ seq: 3, kind: 'charge', amountMicros: 9000, path: '/old/c', day: old }]);
    expect(await flushUsage()).toBe(true);
    expect(await summaryOf(old)).toMatchObject({ views: 3, paidViews: 3, revenueMicros: 15_000, topPaths });
    expect((await tables()).paths).toEqual([]);
  });

  it('counts a ledger batch delivered twice once', async () => {
    const usage = usageStub();
    const batch = [
      { seq: 3, kind: 'charge' as const, amountMicros: 1000, path: '/a', day: today() },
      { seq: 5, kind: 'charge' as const, amountMicros: 2000, path: '/b', day: today() },
    ];
    expect(await usage.applyLedger(HOST, 'reader-1', batch)).toEqual({ ok: true, applied: 2 });
    expect(await usage.applyLedger(HOST, 'reader-1', batch)).toEqual({ ok: true, applied: 0 });
    expect(
      await usage.applyLedger(HOST, 'reader-1', [...batch, { seq: 6, kind: 'refund', amountMicros: 1000, path: '/a', day: today() }]),
    ).toEqual({
      ok: true,
      applied: 1,
    });
    expect(await usage.applyLedger(HOST, 'reader-2', batch)).toEqual({ ok: true, applied: 2 });
    expect(await usage.days()).toEqual([{ date: today(), views: 3, paidViews: 3, revenueMicros: 5000, dirty: true }]);
    expect(await usage.applyLedger(HOST, 'reader-1', [{ seq: 9, kind: 'charge', amountMicros: -1, path: '/a', day: today() }])).toEqual({
      ok: false,
      reason: 'invalid_batch',
    });
  });
});
