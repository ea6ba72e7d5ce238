import type { PendingUsage, UsageLedger } from '../usage/ledger-outbox';
import type { LedgerUsage } from '../usage/usage-types';
import { utcDay } from '../usage/utc-days';
import { refundedReceiptOf } from '../storage/kv-keys';

type UsageRow = {
  seq: number;
  type: 'charge' | 'refund';
  amount: number;
  at: number;
  host: string;
  path: string | null;
  idem: string | null;
  voided: number | null;
};

const CURSOR_KEY = 'usage_cursor';

/**
 * The wallet's side of the usage outbox: the only code outside `wallet.ts` that knows the
 * ledger's and meta's columns. The outbox sees charges and refunds as usage, and a cursor.
 */
export class WalletUsageLedger implements UsageLedger {
  constructor(
    private readonly sql: SqlStorage,
    /** The wallet's own writer, so that the bench's row count includes the cursor. */
    private readonly write: (query: string, ...params: unknown[]) => void,
  ) {}

  pending(limit: number): PendingUsage[] {
    return this.sql
      .exec<UsageRow>(
        "SELECT seq, type, amount, at, host, path, idem, voided FROM ledger WHERE seq > ? AND type IN ('charge','refund') AND host IS NOT NULL ORDER BY seq LIMIT ?",
        this.cursor(),
        limit,
      )
      .toArray()
      .map((row) => ({
        host: row.host,
        usage: { seq: row.seq, kind: kindOf(row), amountMicros: row.amount, path: row.path ?? '', day: utcDay(this.countedAt(row)) },
      }));
  }

  acknowledge(seq: number): void {
    this.write('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', CURSOR_KEY, seq);
  }

  private cursor(): number {
    return this.sql.exec<{ value: number }>('SELECT value FROM meta WHERE key = ?', CURSOR_KEY).toArray()[0]?.value ?? 0;
  }

  /** A refund counts against the day of the charge it reverses, where the view was counted. */
  private countedAt(row: UsageRow): number {
    const receipt = row.type === 'refund' && row.idem !== null ? refundedReceiptOf(row.idem) : null;
    if (receipt === null) return row.at;
    const charge = this.sql.exec<{ at: number }>("SELECT at FROM ledger WHERE id = ? AND type = 'charge'", receipt).toArray()[0];
    return charge?.at ?? row.at;
  }
}

/** A voided charge still went out as a charge (it may have been delivered before its void); the row giving it back is the void. */
function kindOf(row: UsageRow): LedgerUsage['kind'] {
  return row.type === 'refund' && row.voided === 1 ? 'void' : row.type;
}
