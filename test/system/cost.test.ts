import { createExecutionContext, reset, runDurableObjectAlarm, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { app } from '../../src/app';
import { flushPeriodMs, nextSlot, phaseOf } from '../../src/usage/flush-alarm';
import { usageOf } from '../../src/usage/usage-stub';
import { walletOf } from '../../src/wallet/wallet-stub';
import { countingEnv, diffCounts, newOpCounts, type OpCounts } from '../support/counting-env';
import { readToEnd, STANDARD_RULES } from '../support/paywall';

afterEach(() => reset());

/**
 * What a view costs in billable operations, counted at the bindings the Worker is given.
 * These are the per-view counts that bench/RESULTS.md turns into dollars.
 */
describe('billable operations per view', () => {
  const counts = newOpCounts();
  const counted = countingEnv(env, counts);
  let hostSeq = 0;

  /** A fresh host per test: the site cache lives in the isolate, across tests. */
  async function newSite(): Promise<string> {
    const host = `cost${++hostSeq}-${Date.now()}.test`;
    await env.KV.put(`site:${host}`, JSON.stringify({ host, origin: env.TEST_ORIGIN, rules: STANDARD_RULES }));
    return host;
  }

  async function send(host: string, path: string, init: RequestInit = {}): Promise<Response> {
    const ctx = createExecutionContext();
    const res = await readToEnd(await app.fetch(new Request(`http://${host}${path}`, init), counted, ctx));
    await waitOnExecutionContext(ctx);
    return res;
  }

  async function newReader(host: string, topUpMicros: number) {
    const created = await send(host, '/__paywall/api/readers', { method: 'POST' });
    expect(created.status, await created.clone().text()).toBe(201);
    const { readerId, token } = await created.json<{ readerId: string; token: string }>();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' };
    const topped = await send(host, '/__paywall/api/dev/topup', {
      method: 'POST',
      headers,
      body: JSON.stringify({ amountMicros: topUpMicros }),
    });
    expect(topped.status).toBe(200);
    return { readerId, headers: { authorization: headers.authorization, accept: 'application/json' } };
  }

  async function measure(fn: () => Promise<void>, readerId?: string): Promise<OpCounts & { rowsWritten: number; alarmsSet: number }> {
    const statsOf = async () => (readerId ? await walletOf(env, readerId).stats() : { rowsWritten: 0, alarmsSet: 0 });
    const stats0 = await statsOf();
    const before = { ...counts, doRequestsByBinding: { ...counts.doRequestsByBinding } };
    await fn();
    const ops = diffCounts(counts, before);
    const stats1 = await statsOf();
    return { ...ops, rowsWritten: stats1.rowsWritten - stats0.rowsWritten, alarmsSet: stats1.alarmsSet - stats0.alarmsSet };
  }

  const kvOps = (o: OpCounts) => o.kvReads + o.kvWrites + o.kvDeletes + o.kvLists;
  /** Requests to the reader's wallet; other objects (usage counting, say) are costed by the bench, not pinned here. */
  const wallet = (o: OpCounts) => o.doRequestsByBinding.WALLET ?? 0;

  it('reads the site document once; a warm view makes no KV operation', async () => {
    const host = await newSite();
    const cold = await measure(async () => {
      expect((await send(host, '/free/page')).status).toBe(200);
    });
    expect(cold.kvReads).toBe(1);
    const warm = await measure(async () => {
      for (let i = 0; i < 20; i++) expect((await send(host, `/free/page-${i}`)).status).toBe(200);
    });
    expect(kvOps(warm)).toBe(0);
    expect(wallet(warm)).toBe(0);
  });

  it('a warm paid view: no KV operation, one Durable Object request, one SQLite row', async () => {
    const host = await newSite();
    const reader = await newReader(host, 1_000_000);
    await send(host, '/free/warm-up');
    // Fewer than make a reader hot in this isolate (test/paywall/spend-leases.test.ts has those).
    const views = 6;
    const paid = await measure(async () => {
      for (let i = 0; i < views; i++) {
        const res = await send(host, `/premium/story-${i}`, { headers: reader.headers });
        expect(res.status).toBe(200);
        expect(res.headers.get('paywall-charged-micros')).toBe('10000');
      }
    }, reader.readerId);
    expect(kvOps(paid)).toBe(0);
    // charge(), sent together with the origin fetch; nothing after the origin answered 2xx.
    expect(wallet(paid) / views).toBe(1);
    // The ledger row is the charge and the balance at once.
    expect(paid.rowsWritten / views).toBe(1);
    // The usage flush's alarm (billed as a row) is set once a period for all of them: see the last test.
    expect(paid.alarmsSet).toBeLessThanOrEqual(1);
  });

  it("a paid HTML page's <title>: one more request and row the first time this isolate reads it, none after (it rides on the charge)", async () => {
    const host = `cost-html-${Date.now()}.test`;
    await env.KV.put(`site:${host}`, JSON.stringify({ host, origin: env.TEST_ORIGIN, rules: [{ pattern: '/html/*', priceMicros: 3000 }] }));
    const reader = await newReader(host, 1_000_000);
    await send(host, '/free/warm-up');
    const viewOf = (path: string) =>
      measure(async () => {
        expect((await send(host, path, { headers: reader.headers })).headers.get('paywall-charged-micros')).toBe('3000');
      }, reader.readerId);
    const firstRead = await viewOf('/html/a?title=Story');
    expect(wallet(firstRead)).toBe(2);
    expect(firstRead.rowsWritten).toBe(2);
    const readAgain = await viewOf('/html/a?title=Story');
    expect(wallet(readAgain)).toBe(1);
    expect(readAgain.rowsWritten).toBe(1);
    // The page's title changed since: the charge went out with the old one, and is corrected.
    const retitled = await viewOf('/html/a?title=Story%2C%20updated');
    expect(wallet(retitled)).toBe(2);
    const titles = (await walletOf(env, reader.readerId).ledger(10)).entries.filter((e) => e.type === 'charge').map((e) => e.title);
    await expect.poll(async () => (await walletOf(env, reader.readerId).ledger(1)).entries[0]!.title).toBe('Story, updated');
    expect(titles.slice(1)).toEqual(['Story', 'Story']);
    const untitled = await viewOf('/html/b');
    expect(wallet(untitled)).toBe(1);
    expect(untitled.rowsWritten).toBe(1);
  });

  it('a paid view whose origin fails: the charge and its void, two requests, and nothing listed', async () => {
    const host = await newSite();
    const reader = await newReader(host, 1_000_000);
    await send(host, '/free/warm-up');
    const failed = await measure(async () => {
      expect((await send(host, '/status/500/paid', { headers: reader.headers })).status).toBe(500);
    }, reader.readerId);
    expect(wallet(failed)).toBe(2);
    expect((await walletOf(env, reader.readerId).ledger(10)).entries.map((e) => e.type)).toEqual(['topup']);
  });

  it('a paid view that opens a re-view window writes at most two rows; a re-view writes none', async () => {
    const host = await newSite();
    const reader = await newReader(host, 1_000_000);
    await send(host, '/free/warm-up');
    const first = await measure(async () => {
      const res = await send(host, '/articles/windowed', { headers: reader.headers });
      expect(res.headers.get('paywall-charged-micros')).toBe('2500');
    }, reader.readerId);
    expect(kvOps(first)).toBe(0);
    expect(wallet(first)).toBe(1);
    expect(first.rowsWritten).toBeGreaterThanOrEqual(1);
    expect(first.rowsWritten).toBeLessThanOrEqual(2);

    const again = await measure(async () => {
      const res = await send(host, '/articles/windowed', { headers: reader.headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('paywall-charged-micros')).toBe('0');
    }, reader.readerId);
    expect(kvOps(again)).toBe(0);
    expect(wallet(again)).toBe(1);
    expect(again.rowsWritten).toBe(0);
  });

  it('a refused view (402) costs one Durable Object request and writes nothing', async () => {
    const host = await newSite();
    const reader = await newReader(host, 5_000);
    await send(host, '/free/warm-up');
    const refused = await measure(async () => {
      const res = await send(host, '/premium/too-dear', { headers: reader.headers });
      expect(res.status).toBe(402);
    }, reader.readerId);
    expect(kvOps(refused)).toBe(0);
    expect(wallet(refused)).toBe(1);
    expect(refused.rowsWritten).toBe(0);
  });

  it('usage is billed per flush, not per view: one alarm, one delivery and one cursor row per reader and period', async () => {
    const host = await newSite();
    const reader = await newReader(host, 1_000_000);
    await send(host, '/free/warm-up');
    const walletStub = walletOf(env, reader.readerId);
    const usage = usageOf(env, host);
    // Whatever the top-up and the free view left pending is flushed first.
    await runDurableObjectAlarm(walletStub);
    await runDurableObjectAlarm(usage);

    // Alarms fall on the object's own slots; start just after one, so that no flush runs between the views below.
    const period = flushPeriodMs(env);
    const untilSlot = nextSlot(Date.now(), period, phaseOf(walletStub.id, period)) - Date.now();
    if (untilSlot < period / 2) await new Promise((r) => setTimeout(r, untilSlot + 50));

    const w0 = await walletStub.stats();
    const u0 = await usage.stats();
    const paths = ['/premium/a', '/premium/b', '/premium/c', '/premium/a', '/premium/b', '/premium/a'];
    for (const path of paths) {
      const res = await send(host, path, { headers: reader.headers });
      expect(res.headers.get('paywall-charged-micros')).toBe('10000');
    }
    const w1 = await walletStub.stats();
    // Six charges: six ledger rows, and the flush alarm set once for all of them.
    expect(w1.rowsWritten - w0.rowsWritten).toBe(paths.length);
    expect(w1.alarmsSet - w0.alarmsSet).toBe(1);

    expect(await runDurableObjectAlarm(walletStub)).toBe(true);
    const w2 = await walletStub.stats();
    const u1 = await usage.stats();
    // The flush: one alarm invocation, one call to the site's aggregator, one cursor row.
    expect(w2.flushes - w1.flushes).toBe(1);
    expect(w2.deliveries - w1.deliveries).toBe(1);
    expect(w2.rowsWritten - w1.rowsWritten).toBe(1);
    expect(w2.cursorRows - w1.cursorRows).toBe(1);
    // The aggregator: the day's row, one row per distinct path, the reader's last seq; its alarm once.
    expect(u1.rowsWritten - u0.rowsWritten).toBe(1 + new Set(paths).size + 1);
    expect(u1.alarmsSet - u0.alarmsSet).toBe(1);

    expect(await runDurableObjectAlarm(usage)).toBe(true);
    const u2 = await usage.stats();
    // Its own flush: the day's KV document once, and the row marking it written.
    expect(u2.kvWrites - u1.kvWrites).toBe(1);
    expect(u2.rowsWritten - u1.rowsWritten).toBe(1);
    expect(JSON.parse((await env.KV.get(`usage:${host}:${new Date().toISOString().slice(0, 10)}`))!)).toMatchObject({
      paidViews: paths.length,
    });
  });
});
