import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { migrate, SCHEMA_MIGRATIONS_TABLE } from '../../src/storage/migrations';
import { walletSchema } from '../../src/wallet/wallet-schema';

const insert = 'INSERT INTO ledger (id, type, amount, balance_after, at, host, path, reason, idem) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)';

describe('wallet migration 2: money taken back', () => {
  it('upgrades a version-1 wallet in place: every ledger row kept, its idempotency keys still unique', async () => {
    const stub = env.WALLET.get(env.WALLET.idFromName(`v1-${crypto.randomUUID()}`));
    await runInDurableObject(stub, (_object, state) => {
      const sql = state.storage.sql;
      // Back to what a version-1 wallet held.
      for (const t of [
        'ledger',
        'windows',
        'meta',
        'idem_fingerprints',
        'card_payments',
        'card_disputes',
        'withdrawal_parts',
        'view_take_backs',
        'sessions',
        'connections',
        'connect_codes',
        'passkeys',
        'used_challenges',
        'recovery',
        'api_tokens',
        'transfers',
        SCHEMA_MIGRATIONS_TABLE,
      ]) {
        sql.exec(`DROP TABLE IF EXISTS ${t}`);
      }
      migrate(state.storage, { name: 'Wallet', migrations: walletSchema.migrations.slice(0, 1) });
      sql.exec(insert, 'a', 'topup', 5000, 5000, 1, null, null, 'dev', 'stripe:cs_1');
      sql.exec(insert, 'b', 'charge', 2000, 3000, 2, 'news.test', '/a', null, 'view:k');
      expect(() => sql.exec(insert, 'x', 'reversal', 1, 2999, 3, null, null, null, null)).toThrow(/CHECK/);

      migrate(state.storage, walletSchema);
      const rows = sql.exec('SELECT seq, id, type, amount, balance_after, at, host, path, reason, idem FROM ledger ORDER BY seq').toArray();
      expect(rows).toEqual([
        {
          seq: 1,
          id: 'a',
          type: 'topup',
          amount: 5000,
          balance_after: 5000,
          at: 1,
          host: null,
          path: null,
          reason: 'dev',
          idem: 'stripe:cs_1',
        },
        {
          seq: 2,
          id: 'b',
          type: 'charge',
          amount: 2000,
          balance_after: 3000,
          at: 2,
          host: 'news.test',
          path: '/a',
          reason: null,
          idem: 'view:k',
        },
      ]);
      expect(() => sql.exec(insert, 'c', 'topup', 1, 3001, 3, null, null, null, 'stripe:cs_1')).toThrow(/UNIQUE/);
      // Below zero only through a reversal; money coming in may still leave it below zero; nothing else may go there.
      sql.exec(insert, 'd', 'reversal', 5000, -2000, 4, null, null, null, null);
      sql.exec(insert, 'e', 'topup', 1000, -1000, 5, null, null, null, null);
      for (const type of ['charge', 'withdrawal', 'transfer_out']) {
        expect(() => sql.exec(insert, `f-${type}`, type, 1, -1001, 6, null, null, null, null)).toThrow(/CHECK/);
      }
      expect(() => sql.exec(insert, 'g', 'gift', 1, 0, 7, null, null, null, null)).toThrow(/CHECK/);
    });
  });
});
