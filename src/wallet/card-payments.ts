/**
 * What Stripe says happened to one of the reader's card top-ups after it was paid. Facts
 * are merged so that repeats and order do not matter: a refund total only grows, and a
 * dispute that has closed stays closed whatever arrives after.
 */
export type PaymentFact =
  | { kind: 'refunded'; paymentIntent: string; refundedMicros: number }
  | { kind: 'dispute'; paymentIntent: string; disputeId: string; amountMicros: number; status: string; closed: boolean };

/** Dispute endings in which Stripe keeps nothing: a won dispute, an inquiry closed without one. */
const RELEASED_DISPUTE_STATUSES = ['won', 'warning_closed'] as const;

/**
 * The wallet's tables for card payments, added by a migration of the wallet's schema:
 * the ledger may now go below zero, but only through a `reversal`; money-in entries may
 * land below zero (a top-up paying part of a debt); every other money-out entry ends at
 * zero or above.
 */
export const CARD_PAYMENTS_MIGRATION = `
DROP TABLE IF EXISTS ledger_v2;
CREATE TABLE ledger_v2 (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('topup','credit','refund','transfer_in','reinstated','charge','reversal','withdrawal','transfer_out')),
  amount INTEGER NOT NULL CHECK (amount >= 0),
  balance_after INTEGER NOT NULL CHECK (balance_after >= 0 OR type IN ('reversal','topup','credit','refund','transfer_in','reinstated')),
  at INTEGER NOT NULL,
  host TEXT,
  path TEXT,
  reason TEXT,
  idem TEXT
);
INSERT INTO ledger_v2 (seq, id, type, amount, balance_after, at, host, path, reason, idem)
  SELECT seq, id, type, amount, balance_after, at, host, path, reason, idem FROM ledger;
DROP TABLE ledger;
ALTER TABLE ledger_v2 RENAME TO ledger;
CREATE UNIQUE INDEX ledger_idem ON ledger(idem) WHERE idem IS NOT NULL;
CREATE TABLE IF NOT EXISTS card_payments (
  payment_intent TEXT PRIMARY KEY,
  topup_id TEXT,
  paid INTEGER,
  at INTEGER,
  refunded INTEGER NOT NULL DEFAULT 0,
  refund_taken INTEGER NOT NULL DEFAULT 0,
  taken INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS card_disputes (
  dispute_id TEXT PRIMARY KEY,
  payment_intent TEXT NOT NULL,
  amount INTEGER NOT NULL,
  status TEXT NOT NULL,
  closed INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS withdrawal_parts (
  id TEXT PRIMARY KEY,
  withdrawal_id TEXT NOT NULL,
  payment_intent TEXT NOT NULL,
  amount INTEGER NOT NULL CHECK (amount > 0),
  state TEXT NOT NULL CHECK (state IN ('pending','done','void')),
  refund_id TEXT,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS withdrawal_parts_payment ON withdrawal_parts(payment_intent, state);
`;

type Exec = (query: string, ...params: unknown[]) => void;

/** Records a fact; returns nothing, the caller settles the payment afterwards in the same transaction. */
export function mergeFact(exec: Exec, fact: PaymentFact): void {
  exec('INSERT OR IGNORE INTO card_payments (payment_intent) VALUES (?)', fact.paymentIntent);
  if (fact.kind === 'refunded') {
    exec('UPDATE card_payments SET refunded = MAX(refunded, ?) WHERE payment_intent = ?', fact.refundedMicros, fact.paymentIntent);
    return;
  }
  // An open dispute never overwrites a closed one; a closing always wins.
  exec(
    `INSERT INTO card_disputes (dispute_id, payment_intent, amount, status, closed) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (dispute_id) DO UPDATE SET
       amount = MAX(amount, excluded.amount),
       status = CASE WHEN closed = 1 AND excluded.closed = 0 THEN status ELSE excluded.status END,
       closed = MAX(closed, excluded.closed)`,
    fact.disputeId,
    fact.paymentIntent,
    fact.amountMicros,
    fact.status,
    fact.closed ? 1 : 0,
  );
}

/** Records the top-up a Checkout session paid for, under its payment_intent. */
export function recordPayment(exec: Exec, paymentIntent: string, topupId: string, paidMicros: number, at: number): void {
  exec(
    `INSERT INTO card_payments (payment_intent, topup_id, paid, at) VALUES (?, ?, ?, ?)
     ON CONFLICT (payment_intent) DO UPDATE SET topup_id = excluded.topup_id, paid = excluded.paid, at = excluded.at`,
    paymentIntent,
    topupId,
    paidMicros,
    at,
  );
}

type PaymentRow = { paid: number | null; refunded: number; refund_taken: number; taken: number };

export type PaymentStanding = {
  /** What Stripe has taken back so far and the reader should have lost: refunds not made by us, and disputes not released. */
  target: number;
  /** What reversals (minus reinstatements) have already taken. */
  taken: number;
  /** Of Stripe's refunds, those we did not make: only ever grows. */
  refundTaken: number;
  /** What our own withdrawals (pending or done) have refunded to the card. */
  withdrawn: number;
  paid: number | null;
  /** A dispute still open: no refund may be made against the payment. */
  disputed: boolean;
};

/**
 * Where a payment stands. Stripe's `amount_refunded` includes the refunds we made for
 * withdrawals, which the reader has already paid for by the `withdrawal` entry, so only
 * the rest of it is taken back. Stripe's total may lag behind a refund we just made
 * (its event not yet here), so the part taken for refunds only ever grows: at any time
 * `amount_refunded − ours` is at most what others refunded, and once every event is in
 * it is exactly that, whatever the order. A refund and a dispute together never take
 * more than the payment left after our own refunds.
 */
export function standingOf(sql: SqlStorage, paymentIntent: string): PaymentStanding | null {
  const row = sql
    .exec<PaymentRow>('SELECT paid, refunded, refund_taken, taken FROM card_payments WHERE payment_intent = ?', paymentIntent)
    .toArray()[0];
  if (!row) return null;
  const disputes = sql
    .exec<{ held: number; open: number }>(
      `SELECT COALESCE(SUM(CASE WHEN status IN (${RELEASED_DISPUTE_STATUSES.map((s) => `'${s}'`).join(',')}) THEN 0 ELSE amount END), 0) AS held,
              COALESCE(SUM(CASE WHEN closed = 0 THEN 1 ELSE 0 END), 0) AS open
       FROM card_disputes WHERE payment_intent = ?`,
      paymentIntent,
    )
    .one();
  const withdrawn = sql
    .exec<{ w: number }>(
      "SELECT COALESCE(SUM(amount), 0) AS w FROM withdrawal_parts WHERE payment_intent = ? AND state IN ('pending','done')",
      paymentIntent,
    )
    .one().w;
  // Until the Checkout session is known, nothing was credited, so nothing can be taken back.
  const refundTaken = Math.max(row.refund_taken, row.refunded - withdrawn, 0);
  const target = row.paid === null ? 0 : Math.max(0, Math.min(row.paid - withdrawn, refundTaken + disputes.held));
  return { target, taken: row.taken, refundTaken, withdrawn, paid: row.paid, disputed: disputes.open > 0 || disputes.held > 0 };
}

export function setTaken(exec: Exec, paymentIntent: string, standing: PaymentStanding): void {
  exec(
    'UPDATE card_payments SET taken = ?, refund_taken = ? WHERE payment_intent = ?',
    standing.target,
    standing.refundTaken,
    paymentIntent,
  );
}

/** Card payments that can still be refunded to, newest first, with what is left of each. */
export function refundableRemainders(sql: SqlStorage): { paymentIntent: string; remainder: number }[] {
  const rows = sql
    .exec<{ payment_intent: string }>('SELECT payment_intent FROM card_payments WHERE paid IS NOT NULL ORDER BY at DESC, payment_intent')
    .toArray();
  const out: { paymentIntent: string; remainder: number }[] = [];
  for (const { payment_intent } of rows) {
    const s = standingOf(sql, payment_intent)!;
    if (s.disputed || s.paid === null) continue;
    const remainder = s.paid - s.withdrawn - Math.max(s.target, s.taken);
    if (remainder > 0) out.push({ paymentIntent: payment_intent, remainder });
  }
  return out;
}
