import { reset, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { balanceOf, ledgerOf, newReader, useStandardSite, view, type Reader } from '../support/paywall';

/**
 * The contract (Views): the same Idempotency-Key from the same reader, with the same
 * method, within 24 hours, is charged once and answers with the same receipt; after 24
 * hours it is a new view. A key reused with another method inside the 24 hours is a 409,
 * as a key reused for another path is: it names another request, and answering it with
 * the first one's receipt would serve it free.
 *
 * Time is moved by ageing the charge's row in the reader's wallet, not by waiting.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

afterEach(() => reset());

let reader: Reader;
beforeEach(async () => {
  await useStandardSite();
  reader = await newReader(100_000);
});

const keyed = (key: string, method = 'GET') => view('/premium/a', reader, { 'idempotency-key': key }, method);

/** Moves the charge with this receipt `ms` into the past, as if that much time had gone by. */
async function age(receipt: string, ms: number): Promise<void> {
  await runInDurableObject(env.WALLET.get(env.WALLET.idFromName(reader.readerId)), (_wallet, state) => {
    const moved = state.storage.sql.exec('UPDATE ledger SET at = at - ? WHERE id = ?', ms, receipt).rowsWritten;
    expect(moved).toBe(1);
  });
}

describe('Idempotency-Key on a view', () => {
  it('replays within 24 hours: the same receipt, charged once', async () => {
    const first = await keyed('k');
    const receipt = first.headers.get('paywall-receipt')!;
    expect(first.headers.get('paywall-charged-micros')).toBe('10000');
    await age(receipt, DAY_MS - 60_000);

    const retry = await keyed('k');
    expect(retry.status).toBe(200);
    expect(retry.headers.get('paywall-receipt')).toBe(receipt);
    expect(retry.headers.get('idempotency-replayed')).toBe('true');
    expect(await balanceOf(reader)).toBe(90_000);
  });

  it('after 24 hours is a new view, charged again with a new receipt, which then replays', async () => {
    const first = await keyed('k');
    const receipt = first.headers.get('paywall-receipt')!;
    await age(receipt, DAY_MS + 1);

    const later = await keyed('k');
    expect(later.status).toBe(200);
    expect(later.headers.get('paywall-charged-micros')).toBe('10000');
    expect(later.headers.get('idempotency-replayed')).toBeNull();
    const second = later.headers.get('paywall-receipt')!;
    expect(second).not.toBe(receipt);
    expect(await balanceOf(reader)).toBe(80_000);

    const retry = await keyed('k');
    expect(retry.headers.get('paywall-receipt')).toBe(second);
    expect(retry.headers.get('idempotency-replayed')).toBe('true');
    expect(await balanceOf(reader)).toBe(80_000);
    expect((await ledgerOf(reader)).filter((e) => e.type === 'charge')).toHaveLength(2);
  });

  it('with another method inside 24 hours is a 409, never a replay, and charges nothing', async () => {
    const first = await keyed('k', 'GET');
    expect(first.headers.get('paywall-charged-micros')).toBe('10000');
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const other = await keyed('k', method);
      expect(other.status, method).toBe(409);
      expect((await other.json<{ error: string }>()).error).toBe('idempotency_conflict');
    }
    expect(await balanceOf(reader)).toBe(90_000);

    // The same method still replays.
    const retry = await keyed('k', 'GET');
    expect(retry.headers.get('idempotency-replayed')).toBe('true');
  });

  it('with another method after 24 hours is a new view', async () => {
    const first = await keyed('k', 'POST');
    await age(first.headers.get('paywall-receipt')!, DAY_MS + 1);
    const later = await keyed('k', 'GET');
    expect(later.status).toBe(200);
    expect(later.headers.get('paywall-charged-micros')).toBe('10000');
    expect(await balanceOf(reader)).toBe(80_000);
  });
});
