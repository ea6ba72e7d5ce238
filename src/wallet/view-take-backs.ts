/** How long after a charge a reader may take the view back. */
export const TAKE_BACK_WINDOW_MS = 10 * 60 * 1000;
/** At least this many take-backs a month, whatever the reader read... */
export const TAKE_BACK_MIN_PER_MONTH = 3;
/** ...or this share of the month's paid views, if more: enough for mistakes, too few to read for free. */
export const TAKE_BACK_PERCENT = 5;

/** The wallet's record of views its reader took back, counted against the monthly allowance. */
export const VIEW_TAKE_BACKS_MIGRATION = `
CREATE TABLE IF NOT EXISTS view_take_backs (
  receipt TEXT PRIMARY KEY,
  at INTEGER NOT NULL,
  reason TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS view_take_backs_at ON view_take_backs(at);
`;

export function monthStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export type TakeBackAllowance = { used: number; allowed: number; paidViews: number };

export function allowanceOf(sql: SqlStorage, now: number): TakeBackAllowance {
  const since = monthStart(now);
  const paidViews = sql
    .exec<{ n: number }>("SELECT COUNT(*) AS n FROM ledger WHERE type = 'charge' AND amount > 0 AND voided IS NULL AND at >= ?", since)
    .one().n;
  const used = sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM view_take_backs WHERE at >= ?', since).one().n;
  return { used, allowed: Math.max(TAKE_BACK_MIN_PER_MONTH, Math.floor((paidViews * TAKE_BACK_PERCENT) / 100)), paidViews };
}
