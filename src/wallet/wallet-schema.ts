import type { DurableObjectSchema } from '../storage/migrations';
import { CARD_PAYMENTS_MIGRATION } from './card-payments';
import { VIEW_TAKE_BACKS_MIGRATION } from './view-take-backs';
import { READER_IDENTITY_MIGRATION } from './reader-identity-schema';
import { SPEND_LEASES_MIGRATION } from './spend-leases';

/**
 * The `Wallet` object's tables (one object per reader; STORAGE.md says what each holds).
 * Append a migration to change them; never edit one that has shipped.
 */
export const walletSchema: DurableObjectSchema = {
  name: 'Wallet',
  migrations: [
    {
      version: 1,
      // Exactly the tables wallets created before migrations existed, with IF NOT EXISTS,
      // so an existing wallet runs it as a no-op and is recorded at version 1.
      description: 'ledger, re-view windows, meta, idempotency fingerprints',
      up: `
CREATE TABLE IF NOT EXISTS ledger (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('topup','charge','credit','refund')),
  amount INTEGER NOT NULL CHECK (amount >= 0),
  balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
  at INTEGER NOT NULL,
  host TEXT,
  path TEXT,
  reason TEXT,
  idem TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS ledger_idem ON ledger(idem) WHERE idem IS NOT NULL;
CREATE TABLE IF NOT EXISTS windows (key TEXT PRIMARY KEY, until INTEGER NOT NULL, receipt TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS idem_fingerprints (idem TEXT PRIMARY KEY, fingerprint TEXT NOT NULL) WITHOUT ROWID;
`,
    },
    {
      version: 2,
      description: 'money taken back: the ledger may go below zero through a reversal; card payments, disputes, withdrawal parts',
      up: CARD_PAYMENTS_MIGRATION,
    },
    {
      version: 3,
      description: 'views taken back by the reader, against the monthly allowance',
      up: VIEW_TAKE_BACKS_MIGRATION,
    },
    {
      version: 4,
      description: 'the method of a view charged under an Idempotency-Key',
      up: (sql) => {
        // A replay must be the same method (the contract); the charge row says which it was.
        addLedgerColumn(sql, 'method TEXT');
      },
    },
    {
      version: 5,
      description:
        'one wallet everywhere: wallet-host sessions, publisher connections and their codes, passkeys, recovery code, named tokens, transfers between wallets',
      up: READER_IDENTITY_MIGRATION,
    },
    {
      version: 6,
      description: "a charge's article title, read from the paid page's <title> as it was delivered",
      up: (sql) => {
        addLedgerColumn(sql, 'title TEXT');
      },
    },
    {
      version: 7,
      description: 'a view charged before its origin answered, and voided when it did not deliver',
      up: (sql) => {
        addLedgerColumn(sql, 'voided INTEGER');
        // The statement skips voided views and adds them back to the rows between; few, so a partial index.
        sql.exec('CREATE INDEX IF NOT EXISTS ledger_voided ON ledger(seq) WHERE voided = 1');
      },
    },
    {
      version: 8,
      description: "leases of a hot reader's balance to an isolate, spent there and settled in numbered batches",
      up: SPEND_LEASES_MIGRATION,
    },
  ],
};

/** Adds a column to the ledger unless a wallet already has it (ALTER TABLE has no IF NOT EXISTS). */
function addLedgerColumn(sql: SqlStorage, definition: string): void {
  const name = definition.split(' ')[0]!;
  const columns = sql
    .exec<{ name: string }>("SELECT name FROM pragma_table_info('ledger')")
    .toArray()
    .map((c) => c.name);
  if (!columns.includes(name)) sql.exec(`ALTER TABLE ledger ADD COLUMN ${definition}`);
}
