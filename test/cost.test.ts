import { createExecutionContext, reset, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { app } from '../src/app';
import { walletOf } from '../src/wallet/wallet-stub';
import { countingEnv, diffCounts, newOpCounts, type OpCounts } from './support/counting-env';
import { STANDARD_RULES } from './support/paywall';

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
    const res = await app.fetch(new Request(`http://${host}${path}`, init), counted, ctx);
    const body = await res.arrayBuffer();
    await waitOnExecutionContext(ctx);
    return new Response(body, res);
  }

  async function newReader(host: string, topUpMicros: number) {
    const created = await send(host, '/__paywall/api/readers', { method: 'POST' });
    expect(created.status, await created.clone().text()).toBe(201);
    const { readerId, token } = await created.json<{ readerId: string; token: string }>();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' };
    const topped = await send(host, '/__paywall/api/dev/topup', { method: 'POST', headers, body: JSON.stringify({ amountMicros: topUpMicros }) });
    expect(topped.status).toBe(200);
    return { readerId, headers: { authorization: headers.authorization, accept: 'application/json' } };
  }

  async function measure(fn: () => Promise<void>, readerId?: string): Promise<OpCounts & { rowsWritten: number }> {
    const rowsBefore = readerId ? (await walletOf(env, readerId).stats()).rowsWritten : 0;
    const before = { ...counts, doRequestsByBinding: { ...counts.doRequestsByBinding } };
    await fn();
    const ops = diffCounts(counts, before);
    const rowsAfter = readerId ? (await walletOf(env, readerId).stats()).rowsWritten : 0;
    return { ...ops, rowsWritten: rowsAfter - rowsBefore };
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

  it('a warm paid view: no KV operation, two Durable Object requests, one SQLite row', async () => {
    const host = await newSite();
    const reader = await newReader(host, 1_000_000);
    await send(host, '/free/warm-up');
    const views = 10;
    const paid = await measure(async () => {
      for (let i = 0; i < views; i++) {
        const res = await send(host, `/premium/story-${i}`, { headers: reader.headers });
        expect(res.status).toBe(200);
        expect(res.headers.get('paywall-charged-micros')).toBe('10000');
      }
    }, reader.readerId);
    expect(kvOps(paid)).toBe(0);
    // reserve() before the origin is asked, commit() once it answered 2xx.
    expect(wallet(paid) / views).toBe(2);
    // The ledger row is the charge and the balance at once.
    expect(paid.rowsWritten / views).toBe(1);
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
    expect(wallet(first)).toBe(2);
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
});
