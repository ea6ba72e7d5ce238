import { createExecutionContext, runDurableObjectAlarm, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import worker from '../../src/index';
import type { UsageSummary } from '../../src/usage/usage-summary';
import { ADMIN, ADMIN_HOST, HOST, type Reader, type Entry, ledgerOf } from './paywall';

export type Visit = { status: number; headers: Headers; body: string | null };

/**
 * A view made through the Worker, read to the end (or to where it broke off), and
 * returned only once everything it left running in `waitUntil` has finished: the usage
 * event of a free view, the refund of a broken paid body.
 */
export async function visit(
  path: string,
  reader: Reader | null,
  { headers = {}, method = 'GET', host = HOST }: { headers?: Record<string, string>; method?: string; host?: string } = {},
): Promise<Visit> {
  const ctx = createExecutionContext();
  const request = new Request(`http://${host}${path}`, {
    method,
    headers: { accept: 'application/json', ...(reader?.auth ?? {}), ...headers },
  });
  const res = await worker.fetch(request, env, ctx);
  let body: string | null = null;
  try {
    body = await res.text();
  } catch {
    body = null;
  }
  await waitOnExecutionContext(ctx);
  return { status: res.status, headers: res.headers, body };
}

export const chargedMicros = (v: Visit) => Number(v.headers.get('paywall-charged-micros') ?? '0');

/** Views answered 2xx and charged nothing (free, or inside a re-view window). */
export const unchargedViews = (visits: Visit[]) =>
  visits.filter((v) => v.status >= 200 && v.status <= 299 && chargedMicros(v) === 0).length;

export const walletStub = (readerId: string) => env.WALLET.get(env.WALLET.idFromName(readerId));
export const usageStub = (host = HOST) => env.USAGE.get(env.USAGE.idFromName(host));

/** Runs the wallets' pending flush alarms: their charges and refunds reach the aggregators. */
export async function flushWallets(readers: Reader[]): Promise<void> {
  for (const reader of readers) await runDurableObjectAlarm(walletStub(reader.readerId));
}

/** Runs the aggregator's pending flush alarm: its dirty days are written to KV. */
export async function flushUsage(host = HOST): Promise<boolean> {
  return runDurableObjectAlarm(usageStub(host));
}

export async function flushAll(readers: Reader[], hosts: string[] = [HOST]): Promise<void> {
  await flushWallets(readers);
  for (const host of hosts) await flushUsage(host);
}

export const today = () => new Date().toISOString().slice(0, 10);

export async function summaryOf(day: string, host = HOST): Promise<UsageSummary | null> {
  return env.KV.get<UsageSummary>(`usage:${host}:${day}`, 'json');
}

/** The KV summaries of the last two days (a test may cross midnight), added up. */
export async function kvTotals(host = HOST) {
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const totals = { views: 0, paidViews: 0, revenueMicros: 0 };
  for (const day of [yesterday, today()]) {
    const s = await summaryOf(day, host);
    if (!s) continue;
    totals.views += s.views;
    totals.paidViews += s.paidViews;
    totals.revenueMicros += s.revenueMicros;
  }
  return totals;
}

/** What the readers' ledgers say was paid on `host`: charges minus refunds. */
export async function ledgerTotals(readers: Reader[], host = HOST) {
  const totals = { paidViews: 0, revenueMicros: 0 };
  for (const reader of readers) {
    const entries: (Entry & { host?: string })[] = await ledgerOf(reader);
    for (const e of entries) {
      if (e.host !== host) continue;
      if (e.type === 'charge') {
        totals.paidViews += 1;
        totals.revenueMicros += e.amountMicros;
      } else if (e.type === 'refund') {
        totals.paidViews -= 1;
        totals.revenueMicros -= e.amountMicros;
      }
    }
  }
  return totals;
}

export type UsageAnswer = {
  host: string;
  days: { date: string; views: number; paidViews: number; revenueMicros: number }[];
  totals: { views: number; paidViews: number; revenueMicros: number };
};

export async function usageApi(query: string, host = HOST): Promise<Response> {
  return worker.fetch(
    new Request(`http://${ADMIN_HOST}/__paywall/api/admin/usage/${host}${query}`, { headers: ADMIN }),
    env,
    createExecutionContext(),
  );
}

export async function usageOk(query: string, host = HOST): Promise<UsageAnswer> {
  const res = await usageApi(query, host);
  expect(res.status).toBe(200);
  return res.json();
}
