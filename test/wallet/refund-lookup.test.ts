import { reset, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { newReader, useStandardSite, view } from '../support/paywall';

afterEach(() => reset());

describe('a refund', () => {
  it('finds its charge through the index on the ledger entry id, not by scanning the ledger', async () => {
    await useStandardSite();
    const reader = await newReader(10_000);
    const receipt = (await view('/premium/a', reader)).headers.get('paywall-receipt')!;
    await runInDurableObject(env.WALLET.get(env.WALLET.idFromName(reader.readerId)), (_wallet, state) => {
      const plan = state.storage.sql
        .exec<{ detail: string }>("EXPLAIN QUERY PLAN SELECT amount FROM ledger WHERE id = ? AND type = 'charge'", receipt)
        .toArray()
        .map((r) => r.detail)
        .join('\n');
      expect(plan).toMatch(/USING INDEX ledger_id/);
      expect(plan).not.toMatch(/^SCAN ledger$/m);
    });
  });
});
