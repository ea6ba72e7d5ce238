export type LedgerType =
  | 'topup'
  | 'credit'
  | 'refund'
  | 'transfer_in'
  | 'reinstated'
  | 'charge'
  | 'reversal'
  | 'withdrawal'
  | 'transfer_out';

export type LedgerEntry = {
  id: string;
  type: LedgerType;
  amountMicros: number;
  balanceAfterMicros: number;
  at: string;
  host?: string;
  path?: string;
  reason?: string;
  /** A charge's article, from the paid page's `<title>` (HTML answers only). */
  title?: string;
};

export type LedgerRow = {
  seq: number;
  id: string;
  type: LedgerType;
  amount: number;
  balance_after: number;
  at: number;
  host: string | null;
  path: string | null;
  reason: string | null;
  title: string | null;
};

export function toEntry(row: LedgerRow): LedgerEntry {
  const entry: LedgerEntry = {
    id: row.id,
    type: row.type,
    amountMicros: row.amount,
    balanceAfterMicros: row.balance_after,
    at: new Date(row.at).toISOString(),
  };
  if (row.host !== null) entry.host = row.host;
  if (row.path !== null) entry.path = row.path;
  if (row.reason !== null) entry.reason = row.reason;
  if (row.title !== null && row.title !== undefined) entry.title = row.title;
  return entry;
}
