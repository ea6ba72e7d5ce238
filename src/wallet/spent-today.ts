import { IDEMPOTENCY_PREFIXES } from '../storage/kv-keys';

/**
 * What was spent on a day, as a reader reading their history expects and as the daily
 * caps judge it: the day's charges, less those of them that were refunded (a refund
 * names its charge by its idempotency key, `refund:<receipt>`, which is indexed). A refund
 * made today of an earlier day's charge gives nothing back to today: that money was
 * never spent today. The wallet keeps the same sum in memory (`Wallet.spent()`), adding
 * a charge when it is written and taking it away when a charge of that day is refunded;
 * after a restart it starts again from this.
 *
 * `grantId` narrows it to one credential's charges (a named token's own cap).
 */
export function spentSince(sql: SqlStorage, dayStart: number, grantId?: string): number {
  const byGrant = grantId === undefined ? '' : ' AND c.grant_id = ?';
  return sql
    .exec<{ spent: number }>(
      `SELECT COALESCE(SUM(c.amount), 0) AS spent FROM ledger c
       WHERE c.type = 'charge' AND c.at >= ?${byGrant}
         AND NOT EXISTS (SELECT 1 FROM ledger r WHERE r.idem = ? || c.id)`,
      ...(grantId === undefined ? [dayStart] : [dayStart, grantId]),
      IDEMPOTENCY_PREFIXES.refund,
    )
    .one().spent;
}
