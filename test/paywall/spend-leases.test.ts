import { createExecutionContext, reset, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { app } from '../../src/app';
import { countingEnv, newOpCounts } from '../support/counting-env';
import { readToEnd, STANDARD_RULES } from '../support/paywall';

/**
 * A hot reader (a crawler paying from one wallet) through the Worker: its views are spent
 * from a lease this isolate holds (src/paywall/spend-leases.ts), reported in batches, and
 * what the reader reads of their own wallet includes them.
 */

afterEach(() => reset());

const counts = newOpCounts();
const counted = countingEnv(env, counts);
const walletRequests = () => counts.doRequestsByBinding.WALLET ?? 0;
let hostSeq = 0;
/** What views left running after their answers (batches reported a second later), waited for at the end. */
let running: ExecutionContext[] = [];

async function newSite(): Promise<string> {
  const host = `lease${++hostSeq}-${Date.now()}.test`;
  await env.KV.put(`site:${host}`, JSON.stringify({ host, origin: env.TEST_ORIGIN, rules: STANDARD_RULES }));
  return host;
}

async function send(host: string, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  running.push(ctx);
  return readToEnd(await app.fetch(new Request(`http://${host}${path}`, init), counted, ctx));
}

async function settled(): Promise<void> {
  const all = running;
  running = [];
  for (const ctx of all) await waitOnExecutionContext(ctx);
}

async function hotReader(host: string, topUpMicros: number) {
  const created = await send(host, '/__paywall/api/readers', { method: 'POST' });
  const { token } = await created.json<{ token: string }>();
  const auth = { authorization: `Bearer ${token}`, accept: 'application/json' };
  await send(host, '/__paywall/api/dev/topup', {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ amountMicros: topUpMicros }),
  });
  await settled();
  return auth;
}

async function me(host: string, auth: Record<string, string>) {
  const res = await send(host, '/__paywall/api/me', { headers: auth });
  return res.json<{ balanceMicros: number }>();
}

async function charges(host: string, auth: Record<string, string>) {
  const res = await send(host, '/__paywall/api/me/ledger?limit=200', { headers: auth });
  const { entries } = await res.json<{ entries: { id: string; type: string; amountMicros: number }[] }>();
  return entries.filter((e) => e.type === 'charge');
}

describe('a hot reader', () => {
  it('is served from a lease: under 0.2 wallet requests a view, each view charged once, listed with its receipt', async () => {
    const host = await newSite();
    const auth = await hotReader(host, 1_000_000);
    const receipts: string[] = [];
    const view = async (i: number) => {
      const res = await send(host, `/premium/story-${i}`, { headers: auth });
      expect(res.status).toBe(200);
      expect(res.headers.get('paywall-charged-micros')).toBe('10000');
      receipts.push(res.headers.get('paywall-receipt')!);
    };
    // The first views go to the wallet one by one, until the reader is hot here.
    for (let i = 0; i < 8; i++) await view(i);
    const before = walletRequests();
    for (let i = 8; i < 8 + 64; i++) await view(i);
    const perView = (walletRequests() - before) / 64;
    expect(perView).toBeLessThanOrEqual(0.2);

    // What the reader reads of their wallet includes every view, once.
    expect((await me(host, auth)).balanceMicros).toBe(1_000_000 - 72 * 10_000);
    const listed = await charges(host, auth);
    expect(listed).toHaveLength(72);
    expect(new Set(listed.map((e) => e.id))).toEqual(new Set(receipts));
    await settled();
  });

  it('never spends beyond the balance: the lease is only what there is, and the views after it are refused', async () => {
    const host = await newSite();
    const auth = await hotReader(host, 150_000);
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await send(host, `/premium/p-${i}`, { headers: auth })).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(15);
    expect(statuses.filter((s) => s === 402)).toHaveLength(10);
    expect((await me(host, auth)).balanceMicros).toBe(0);
    expect(await charges(host, auth)).toHaveLength(15);
    await settled();
  });

  it('is charged nothing for a leased view whose origin fails or breaks off, and nothing of it is listed', async () => {
    const host = await newSite();
    const auth = await hotReader(host, 1_000_000);
    for (let i = 0; i < 10; i++) expect((await send(host, '/status/200/paid', { headers: auth })).status).toBe(200);
    const before = walletRequests();
    const failed = await send(host, '/status/500/paid', { headers: auth });
    expect(failed.status).toBe(500);
    expect(failed.headers.get('paywall-charged-micros')).toBeNull();
    const broken = await send(host, '/broken-body/paid', { headers: auth });
    expect(broken.headers.get('paywall-charged-micros')).toBe('1000');
    await broken.arrayBuffer().catch(() => null);
    await settled();
    // Dropped from its batch if not yet reported (no wallet request at all), else voided or refunded: one request each at most.
    expect(walletRequests() - before).toBeLessThanOrEqual(3);
    expect((await me(host, auth)).balanceMicros).toBe(1_000_000 - 10 * 1000);
    expect(await charges(host, auth)).toHaveLength(10);
    await settled();
  });
});
