/**
 * A paid view (`charge`) or its reversal from one reader's ledger, as the wallet delivers
 * it: a `refund` of a view delivered (counted apart, for statements), or the `void` of one
 * the origin did not deliver (only taken away: the view never happened). `seq` is the ledger row's, increasing per reader; `day` is the UTC
 * day of the charge, also for a refund, so that the refund takes back what was counted.
 */
export type LedgerUsage = {
  seq: number;
  kind: 'charge' | 'refund' | 'void';
  amountMicros: number;
  path: string;
  day: string;
};

export type ApplyLedgerResult = { ok: true; applied: number } | { ok: false; reason: 'invalid_batch' };

export type CountViewResult = { ok: true; duplicate: boolean } | { ok: false; reason: 'invalid_view' };
