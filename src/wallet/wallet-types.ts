/** The wallet row a revocable credential stands on: a wallet-host session, a publisher connection or a named token. */
export type Grant = { kind: 'session' | 'connection' | 'token'; id: string };

/**
 * What a view asks of the wallet: to be charged now, before the origin has answered (see
 * Wallet.charge). `windowKey` names the path for re-view windows.
 */
export type ChargeRequest = {
  /**
   * The charge's id and receipt, chosen by the Worker (a fresh UUID per view, never sent
   * twice: looking it up first would cost a scan or an index row per view), so that a
   * charge whose answer was lost can still be voided by it.
   */
  receipt: string;
  /** The credential's session or connection: a revoked one pays nothing more. */
  grant?: Grant;
  host: string;
  path: string;
  windowKey: string;
  priceMicros: number;
  reviewWindowSeconds?: number;
  maxPriceMicros?: number;
  idempotencyKey?: string;
  /** The view's HTTP method: a key replays only for the same one. */
  method?: string;
  /**
   * What a reuse of `idempotencyKey` must match besides host and path (x402's
   * payment-identifier binds its id to the whole payment payload). A key first used
   * without one never matches a request with one, and the other way round.
   */
  idempotencyFingerprint?: string;
  /** A browser's view (cookie credential): the reader's ask-before-paying threshold applies. */
  askFirst?: boolean;
  /** The single-use confirmation the reader's click made for this path (see Wallet.confirmView). */
  confirmation?: string;
  /** The article's title, when this isolate has seen the page before: written on the charge's own row. */
  title?: string;
};

export type Refusal =
  | 'revoked'
  | 'insufficient_balance'
  | 'daily_cap_reached'
  | 'price_above_max'
  | 'idempotency_conflict'
  /** Above the reader's ask-before-paying threshold: their page asks first (a 402 `price_above_max`). */
  | 'confirmation_required';

export type ChargeResult =
  /**
   * The view may be delivered. `voidable`: this call wrote a new charge, which the caller
   * voids if the origin does not deliver; otherwise a re-view window covered the path
   * (`chargedMicros` 0) or the idempotency key was already charged (`replay`).
   */
  | { ok: true; receipt: string; chargedMicros: number; balanceMicros: number; replay: boolean; voidable: boolean }
  | {
      ok: false;
      reason: Refusal;
      balanceMicros: number;
      /** With a daily cap set: what today's charges came to, and the cap, for the page to show. */
      spentTodayMicros?: number;
      dailyCapMicros?: number;
      /** With `confirmation_required`: the reader's threshold. */
      askAboveMicros?: number;
    };

/** An isolate asks for a slice of a hot reader's balance, `views` views' worth at `priceMicros` on `host`. */
export type LeaseRequest = { leaseId: string; host: string; priceMicros: number; views: number; grant?: Grant };

export type LeaseResult =
  /** `amountMicros` is set aside (fewer views than asked when the balance or daily cap has less) until `expiresAt`; `balanceMicros` is the ledger's. */
  | { ok: true; leaseId: string; amountMicros: number; expiresAt: number; balanceMicros: number }
  | { ok: false; reason: 'revoked' | 'insufficient_balance' | 'not_leasable'; balanceMicros: number };

/** One view an isolate delivered from a lease: its receipt (chosen by the isolate) and path. */
export type LeaseCharge = { receipt: string; path: string; title?: string };

export type SettleResult =
  /** `charged` views written now, `refused` ones not (the lease expired or was spent); `repeat`: this batch was applied before. `balanceMicros` is the ledger's. */
  | { ok: true; charged: number; refused: number; repeat: boolean; balanceMicros: number }
  | { ok: false; reason: 'no_such_lease'; balanceMicros: number };

export type VoidResult =
  /** `voided`: this call gave the charge back (false: it was already given back, or never written). */
  | { ok: true; voided: boolean; balanceMicros: number }
  /** Older than a view's longest wait for its origin: a refund, not a void, gives it back. */
  | { ok: false; reason: 'too_late'; balanceMicros: number };

export type CreditRequest = {
  type: 'topup' | 'credit';
  amountMicros: number;
  reason?: string;
  /** Makes the credit happen once, e.g. `stripe:<session id>` or `admin:<Idempotency-Key>`. */
  idempotencyKey?: string;
  /** A card top-up: the Checkout session's payment_intent, through which Stripe later reports refunds and disputes. */
  paymentIntent?: string;
};

export type TakeBackResult =
  | { ok: true; balanceMicros: number; movedMicros: number }
  | { ok: false; reason: 'no_such_reader'; balanceMicros: number };

export type CreditResult =
  | { ok: true; balanceMicros: number; entryId: string | null; duplicate: boolean }
  | { ok: false; reason: 'no_such_reader' | 'balance_limit'; balanceMicros: number };

export type WalletSummary = {
  readerId: string;
  balanceMicros: number;
  dailyCapMicros: number | null;
  /** Charges less refunds since 00:00 UTC: what the daily cap is measured against. */
  spentTodayMicros: number;
  /** Views priced above it are asked about in a browser before they are paid; null when unset. */
  askAboveMicros: number | null;
};

export type RefundResult =
  | { ok: true; balanceMicros: number; entryId: string; duplicate: boolean }
  | { ok: false; reason: 'no_such_charge'; balanceMicros: number };

/** What a wallet has done since its instance started: for tests and the bench's cost figures. */
export type WalletStats = {
  /** SQLite rows written by its statements, the usage cursor's included (alarms are counted apart, in `alarmsSet`). */
  rowsWritten: number;
  /** `setAlarm()` calls, each billed by Cloudflare as one row written. */
  alarmsSet: number;
  /** Usage flushes run (alarm invocations, each billed as one Durable Object request). */
  flushes: number;
  /** Calls to usage aggregators made by those flushes (one Durable Object request each). */
  deliveries: number;
  /** Of `rowsWritten`, the usage cursor's: the flushes' rows, not the views'. */
  cursorRows: number;
};

/** One card top-up's share of a withdrawal: refunded through Stripe under its own idempotency key. */
export type WithdrawalPart = { partId: string; withdrawalId: string; paymentIntent: string; amountMicros: number };

export type WithdrawalStart =
  | { ok: true; withdrawalId: string; parts: WithdrawalPart[]; balanceMicros: number }
  | { ok: false; reason: 'no_such_reader' | 'invalid_amount' | 'not_withdrawable'; withdrawableMicros: number };

export type TakeBackViewResult =
  | { ok: true; balanceMicros: number; entryId: string; duplicate: boolean; host: string; path: string; amountMicros: number }
  | { ok: false; reason: 'no_such_charge' | 'too_late'; balanceMicros: number }
  | { ok: false; reason: 'limit_reached'; balanceMicros: number; used: number; allowed: number; paidViews: number };

export type ReceiptView = {
  entry: import('./ledger-entry').LedgerEntry;
  takenBack: boolean;
  /** ISO time until which the view may be taken back. */
  takeBackUntil: string;
  takeBacksLeft: number;
  balanceMicros: number;
};
