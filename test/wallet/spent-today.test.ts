import { evictDurableObject, reset, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Wallet } from '../../src/wallet/wallet';
import { newReader, useStandardSite, view, walletCall, walletCookie, type Reader } from '../support/paywall';

/**
 * "Spent today", against which the daily cap is judged, is today's charges minus the
 * refunds of today's charges: what a reader reading the history expects. It was computed
 * that way in memory, but after a restart from the ledger as today's charges minus every
 * refund made today, so refunding yesterday's charge today lowered today's spend (below
 * zero, past the cap) only once the wallet had restarted.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
const PREMIUM = 10_000;

afterEach(() => reset());

let reader: Reader;
beforeEach(async () => {
  await useStandardSite();
  reader = await newReader(1_000_000);
});

const stub = () => env.WALLET.get(env.WALLET.idFromName(reader.readerId));

/** What the wallet counts as spent today, and whether it would take views of `prices` now (each probe voided at once). */
async function capState(prices: number[]): Promise<{ spent: number; allowed: Record<number, boolean | string> }> {
  return runInDurableObject(stub(), async (wallet: Wallet) => {
    const spent = (wallet as unknown as { spent(): number }).spent();
    const allowed: Record<number, boolean | string> = {};
    for (const priceMicros of prices) {
      const r = wallet.charge({
        receipt: crypto.randomUUID(),
        host: 'news.test',
        path: `/premium/probe-${priceMicros}`,
        windowKey: `probe-${priceMicros}`,
        priceMicros,
      });
      allowed[priceMicros] = r.ok ? true : r.reason;
      if (r.ok && r.voidable) wallet.void(r.receipt);
    }
    return { spent, allowed };
  });
}

describe('spent today', () => {
  it("is today's charges minus refunds of today's charges, the same in memory and after a restart: a refund today of yesterday's charge lowers nothing", async () => {
    const cap = await walletCall('/__paywall/api/me/settings', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...walletCookie(reader), origin: 'http://wallet.test' },
      body: JSON.stringify({ dailyCapMicros: 2 * PREMIUM }),
    });
    expect(cap.status, await cap.clone().text()).toBe(200);

    // Yesterday: one premium view.
    const yesterday = await view('/premium/yesterday', reader);
    expect(yesterday.headers.get('paywall-charged-micros')).toBe(String(PREMIUM));
    const receipt = yesterday.headers.get('paywall-receipt')!;
    await runInDurableObject(stub(), (_w, state) => {
      expect(state.storage.sql.exec('UPDATE ledger SET at = at - ? WHERE id = ?', DAY_MS, receipt).rowsWritten).toBe(1);
    });
    await evictDurableObject(stub());

    // Today: one premium view, then yesterday's is refunded.
    const today = await view('/premium/today', reader);
    expect(today.headers.get('paywall-charged-micros')).toBe(String(PREMIUM));
    const refunded = await runInDurableObject(stub(), (wallet: Wallet) => wallet.refund(receipt, 'test: refunded a day later'));
    expect(refunded.ok).toBe(true);

    const probes = [PREMIUM, 2 * PREMIUM];
    const inMemory = await capState(probes);
    await evictDurableObject(stub());
    const afterRestart = await capState(probes);

    expect(inMemory.spent).toBe(PREMIUM);
    expect(inMemory.allowed).toEqual({ [PREMIUM]: true, [2 * PREMIUM]: 'daily_cap_reached' });
    expect(afterRestart).toEqual(inMemory);

    // And for real: one more premium view today, then the cap.
    expect((await view('/premium/today-2', reader)).status).toBe(200);
    const over = await view('/premium/today-3', reader);
    expect(over.status).toBe(402);
    expect((await over.json<{ error: string }>()).error).toBe('daily_cap_reached');
  });

  it("a refund today of today's charge gives it back to today's spend, in memory and after a restart", async () => {
    const first = await view('/premium/one', reader);
    await view('/premium/two', reader);
    const refunded = await runInDurableObject(stub(), (wallet: Wallet) => wallet.refund(first.headers.get('paywall-receipt')!, 'test'));
    expect(refunded.ok).toBe(true);
    const inMemory = await capState([]);
    await evictDurableObject(stub());
    expect(inMemory.spent).toBe(PREMIUM);
    expect((await capState([])).spent).toBe(PREMIUM);
  });
});
