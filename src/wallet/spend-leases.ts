/**
 * Leases: a slice of a hot reader's balance set aside for one isolate, whose views spend
 * it locally and settle their charges in batches (src/paywall/spend-leases.ts). The money
 * is set aside when the lease is granted (no other view, transfer or withdrawal can take
 * it) and becomes charges only as the isolate settles them; whatever is not settled by the
 * lease's expiry is free again. So a reader is never charged more than the slice, and
 * never for a view the isolate did not report.
 */

/** How long a lease lasts; its isolate stops spending it 10 s earlier, to settle in time. */
export const LEASE_TTL_MS = 30_000;
/** Kept a day after expiry, for support, then swept. */
export const LEASE_RETENTION_MS = 24 * 60 * 60 * 1000;

export const SPEND_LEASES_MIGRATION = `
CREATE TABLE IF NOT EXISTS leases (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  price INTEGER NOT NULL CHECK (price > 0),
  amount INTEGER NOT NULL CHECK (amount > 0),
  spent INTEGER NOT NULL DEFAULT 0 CHECK (spent >= 0 AND spent <= amount),
  grant_id TEXT,
  granted_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  closed INTEGER NOT NULL DEFAULT 0,
  batches INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS leases_expires_at ON leases(expires_at);
`;

/** An open lease as the wallet keeps it in memory (and rebuilds from its row after a restart). */
export type OpenLease = {
  id: string;
  host: string;
  price: number;
  amount: number;
  spent: number;
  grantId: string | null;
  expiresAt: number;
};

export function openLeases(sql: SqlStorage, now: number): Map<string, OpenLease> {
  const rows = sql
    .exec<{ id: string; host: string; price: number; amount: number; spent: number; grant_id: string | null; expires_at: number }>(
      'SELECT id, host, price, amount, spent, grant_id, expires_at FROM leases WHERE closed = 0 AND expires_at > ?',
      now,
    )
    .toArray();
  return new Map(
    rows.map((r) => [
      r.id,
      { id: r.id, host: r.host, price: r.price, amount: r.amount, spent: r.spent, grantId: r.grant_id, expiresAt: r.expires_at },
    ]),
  );
}

/** What the open, unexpired leases still set aside; expired ones are dropped from `leases` as they are met. */
export function setAside(leases: Map<string, OpenLease>, now: number): number {
  let total = 0;
  for (const [id, lease] of leases) {
    if (lease.expiresAt <= now) leases.delete(id);
    else total += lease.amount - lease.spent;
  }
  return total;
}
