/**
 * A paid view (`charge`) or its reversal (`refund`) from one reader's ledger, as the
 * wallet delivers it. `seq` is the ledger row's, increasing per reader; `day` is the UTC
 * day of the charge, also for a refund, so that the refund takes back what was counted.
 */
export type LedgerUsage = {
  seq: number;
  kind: 'charge' | 'refund';
  amountMicros: number;
  path: string;
  day: string;
};

export type ApplyLedgerResult = { ok: true; applied: number } | { ok: false; reason: 'invalid_batch' };

export type CountViewResult = { ok: true; duplicate: boolean } | { ok: false; reason: 'invalid_view' };
