import { reset, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Wallet } from '../../src/wallet/wallet';
import { newReader, useStandardSite, view, type Reader } from '../support/paywall';

/**
 * Re-view windows and x402 fingerprints (the payload a keyed x402 payment must match on a
 * replay) are dead once they expire: a window at its end, a fingerprint once its key's
 * charge is 24 hours old. They were never deleted, so a wallet grew by a row per paid
 * path for ever. The wallet's alarm now deletes them; a view writes no more rows than
 * before (test/system/cost.test.ts).
 */

const HOUR_MS = 60 * 60 * 1000;

afterEach(() => reset());

let reader: Reader;
beforeEach(async () => {
  await useStandardSite();
  reader = await newReader(1_000_000);
});

const stub = () => env.WALLET.get(env.WALLET.idFromName(reader.readerId));

/** A charged view under an Idempotency-Key with an x402 fingerprint, as an x402 payment makes it. */
async function fingerprintedCharge(key: string): Promise<string> {
  return runInDurableObject(stub(), async (wallet: Wallet) => {
    const charged = wallet.charge({
      receipt: crypto.randomUUID(),
      host: 'news.test',
      path: `/premium/${key}`,
      windowKey: `w-${key}`,
      priceMicros: 10_000,
      idempotencyKey: key,
      idempotencyFingerprint: `fp-${key}`,
      method: 'GET',
    });
    if (!charged.ok || !charged.voidable) throw new Error(`not charged: ${JSON.stringify(charged)}`);
    return charged.receipt;
  });
}

async function rows(): Promise<{ windows: string[]; fingerprints: string[] }> {
  return runInDurableObject(stub(), (_w, state) => ({
    windows: state.storage.sql
      .exec<{ key: string }>('SELECT key FROM windows ORDER BY key')
      .toArray()
      .map((r) => r.key),
    fingerprints: state.storage.sql
      .exec<{ idem: string }>('SELECT idem FROM idem_fingerprints ORDER BY idem')
      .toArray()
      .map((r) => r.idem),
  }));
}

/** Runs the wallet's alarm now, as Cloudflare would at its time. */
async function alarmNow(): Promise<void> {
  await runInDurableObject(stub(), (_w, state) => state.storage.setAlarm(Date.now()));
  expect(await runDurableObjectAlarm(stub())).toBe(true);
}

describe('expired rows', () => {
  it('re-view windows past their end and x402 fingerprints past 24 hours are deleted by the wallet alarm; live ones stay', async () => {
    expect((await view('/articles/old', reader)).headers.get('paywall-charged-micros')).toBe('2500');
    expect((await view('/articles/live', reader)).headers.get('paywall-charged-micros')).toBe('2500');
    const oldReceipt = await fingerprintedCharge('old-key');
    await fingerprintedCharge('live-key');
    const before = await rows();
    expect(before.windows).toHaveLength(2);
    expect(before.fingerprints).toHaveLength(2);

    // Time passes for the "old" ones only: the window ended, the keyed charge is 25 hours old.
    await runInDurableObject(stub(), (_w, state) => {
      const sql = state.storage.sql;
      const oldWindow = before.windows.find((k) => k.includes('/articles/old'))!;
      expect(sql.exec('UPDATE windows SET until = ? WHERE key = ?', Date.now() - 1, oldWindow).rowsWritten).toBe(1);
      expect(sql.exec('UPDATE ledger SET at = at - ? WHERE id = ?', 25 * HOUR_MS, oldReceipt).rowsWritten).toBe(1);
    });
    await alarmNow();

    const after = await rows();
    expect(after.windows).toEqual(before.windows.filter((k) => !k.includes('/articles/old')));
    expect(after.fingerprints).toEqual(['view:live-key']);
    // The live window still covers its path.
    expect((await view('/articles/live', reader)).headers.get('paywall-charged-micros')).toBe('0');
    // And the wallet comes back for the rest: an alarm is set no sooner than an hour from now.
    const next = await runInDurableObject(stub(), (_w, state) => state.storage.getAlarm());
    expect(next).not.toBeNull();
    expect(next!).toBeGreaterThanOrEqual(Date.now() + HOUR_MS - 60_000);
  });

  it('a wallet with more expired rows than one batch deletes them all over its next alarms', async () => {
    await runInDurableObject(stub(), (_w, state) => {
      for (let i = 0; i < 450; i++)
        state.storage.sql.exec('INSERT INTO windows (key, until, receipt) VALUES (?, ?, ?)', `k${i}`, Date.now() - 1000, `r${i}`);
    });
    for (let round = 0; round < 5 && (await rows()).windows.length > 0; round++) await alarmNow();
    expect((await rows()).windows).toEqual([]);
  });
});
