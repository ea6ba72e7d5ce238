import { utcDay, utcDayStart } from '../usage/utc-days';
import { log } from '../http/log';
import { MigratedObject } from '../storage/migrated-object';
import { MICROS_PER_CENT } from '../money';
import { CountedSql } from '../storage/counted-sql';
import {
  IDEMPOTENCY_PREFIXES,
  refundIdempotencyKey,
  viewIdempotencyKey,
  withdrawalIdempotencyKey,
  withdrawalVoidIdempotencyKey,
} from '../storage/kv-keys';
import { LedgerOutbox } from '../usage/ledger-outbox';
import { mergeFact, recordPayment, refundableRemainders, setTaken, standingOf, type PaymentFact } from './card-payments';
import * as passkeyStore from './passkey-store';
import type {
  AddPasskeyResult,
  NewPasskey,
  PasskeySummary,
  RecoveryCheckResult,
  RemovePasskeyResult,
  StoredPasskey,
  UsePasskey,
  UsePasskeyResult,
} from './passkey-store';
import { toEntry, type LedgerEntry, type LedgerRow } from './ledger-entry';
import { allowanceOf, TAKE_BACK_WINDOW_MS, type TakeBackAllowance } from './view-take-backs';
import { WalletUsageLedger } from './usage-ledger';
import {
  finishTransfer,
  isTransferAmount,
  isTransferId,
  markTransferDone,
  nextTransferRetry,
  pendingOutgoing,
  recordTransfer,
  senderStateOf,
  TRANSFER_RETRY_AFTER_MS,
  transferReturnKey,
  transferRow,
  type PendingTransfer,
  type TransferFinish,
  type TransferInRequest,
  type TransferInResult,
  type TransferOutRequest,
  type TransferOutResult,
  type TransferRow,
  type TransferState,
} from './transfers';
import { walletOf } from './wallet-stub';
import { walletSchema } from './wallet-schema';
import { spentSince } from './spent-today';
import * as grants from './grants';
import { LEASE_RETENTION_MS, LEASE_TTL_MS, type OpenLease, openLeases, setAside } from './spend-leases';
import { newGrantId } from '../reader/reader-token';
import type {
  Grant,
  ChargeRequest,
  ChargeResult,
  CreditRequest,
  CreditResult,
  RefundResult,
  TakeBackResult,
  TakeBackViewResult,
  ReceiptView,
  LeaseCharge,
  LeaseRequest,
  LeaseResult,
  SettleResult,
  VoidResult,
  WalletStats,
  WalletSummary,
  WithdrawalPart,
  WithdrawalStart,
} from './wallet-types';

/** How long a view's Idempotency-Key replays (the contract): after that, the key makes a new view. */
export const VIEW_IDEMPOTENCY_MS = 24 * 60 * 60 * 1000;
/**
 * How long after its charge a view may still be voided: longer than a view waits for its
 * origin (ORIGIN_TIMEOUT_MS) and the Worker's retries of the void; after that only a
 * refund gives it back.
 */
export const VOIDABLE_MS = 10 * 60 * 1000;
/** Expired rows of each kind (re-view windows, x402 fingerprints) deleted per alarm; more left, and the alarm comes back at once. */
const SWEEP_BATCH = 200;
/** A wallet with re-view windows or fingerprints still to expire comes back for them at most this often. */
const SWEEP_EVERY_MS = 60 * 60 * 1000;
/** How long a reader's "pay this one" click stays good: the redirect to the article follows at once. */
const CONFIRMATION_TTL_MS = 60_000;
/** The longest article title kept on a charge, in characters. */
export const MAX_TITLE_CHARS = 200;
/** No balance above a million dollars: keeps every sum far inside the safe integers. */
export const MAX_BALANCE_MICROS = 1_000_000 * 1_000_000;

/**
 * One reader's money. The ledger is the only record: the balance is the last entry's
 * balance_after, so no write can move one without the other. Every write is one
 * `transactionSync`, and the in-memory figures change only after it commits.
 */
export class Wallet extends MigratedObject {
  private readerId: string | null;
  private balance: number;
  private dailyCap: number | null;
  private askAbove: number | null;
  /** One-click confirmations of views above `askAbove`: id to host, path and expiry (see confirmView). */
  private readonly confirmations = new Map<string, { host: string; path: string; until: number }>();
  private spentDay: string;
  private spentToday: number;
  /** Every write goes through it, so that the rows written (what Cloudflare bills) are counted. */
  private readonly writes: CountedSql;
  /** Slices of the balance set aside for isolates (src/wallet/spend-leases.ts), by lease id. */
  private readonly leases: Map<string, OpenLease>;
  /** Delivers the ledger's charges and refunds to the sites' usage aggregators. */
  private readonly usage: LedgerOutbox;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, walletSchema);
    this.writes = new CountedSql(this.sql);
    this.readerId = (this.metaGet('reader_id') as string | null) ?? null;
    this.dailyCap = (this.metaGet('daily_cap') as number | null) ?? null;
    this.askAbove = (this.metaGet('ask_above') as number | null) ?? null;
    const last = this.sql.exec<{ balance_after: number }>('SELECT balance_after FROM ledger ORDER BY seq DESC LIMIT 1').toArray()[0];
    this.balance = last?.balance_after ?? 0;
    this.spentDay = utcDay(Date.now());
    this.spentToday = this.spentOn(this.spentDay);
    this.leases = openLeases(this.sql, Date.now());
    this.usage = new LedgerOutbox(ctx, env, new WalletUsageLedger(this.sql, (query, ...params) => this.exec(query, ...params)));
  }

  /** The usage flush, armed by every charge and refund; and the retry of transfers left pending. */
  override async alarm(): Promise<void> {
    await this.usage.flush(this.readerId);
    await this.finishPendingTransfers();
    await this.sweepExpired();
  }

  // ---- reader ----

  /** Creates the reader's wallet. Idempotent. */
  open(readerId: string): WalletSummary {
    if (this.readerId === null) {
      this.write(() => {
        this.exec('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)', 'reader_id', readerId);
        this.exec('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)', 'created_at', Date.now());
      });
      this.readerId = readerId;
    }
    return this.summary();
  }

  exists(): boolean {
    return this.readerId !== null;
  }

  /**
   * The contract's `/me` fields, and what the pages need besides: what today's charges
   * came to (UTC day, refunds netted; the daily cap counts it) and the ask-before-paying
   * threshold.
   */
  summary(): WalletSummary {
    return {
      readerId: this.readerId ?? '',
      balanceMicros: this.balance,
      dailyCapMicros: this.dailyCap,
      spentTodayMicros: this.spent(),
      askAboveMicros: this.askAbove,
    };
  }

  /** Views priced above it, from a browser, are asked about before they are paid; null pays up to the balance and cap. */
  setAskAbove(micros: number | null): WalletSummary {
    this.write(() => this.exec('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', 'ask_above', micros));
    this.askAbove = micros;
    return this.summary();
  }

  /**
   * The reader said yes to one view above their ask-before-paying threshold: a
   * confirmation for exactly that host and path, good once and for a minute. Kept in
   * memory: lost with the object, which only means asking again; no money depends on it.
   */
  confirmView(host: string, path: string): { ok: true; confirmation: string } | { ok: false; reason: 'no_such_reader' } {
    if (this.readerId === null) return { ok: false, reason: 'no_such_reader' };
    const now = Date.now();
    for (const [id, c] of this.confirmations) if (c.until <= now) this.confirmations.delete(id);
    // A few at most: a reader clicking on many tabs at once keeps the newest.
    if (this.confirmations.size >= 20) this.confirmations.delete(this.confirmations.keys().next().value!);
    const confirmation = newId();
    this.confirmations.set(confirmation, { host, path, until: now + CONFIRMATION_TTL_MS });
    return { ok: true, confirmation };
  }

  /**
   * After a paid HTML answer was delivered: the article's `<title>` as the page gave it,
   * on the charge's own row (no new row), when the charge was not already written with it
   * (see ChargeRequest.title). The history names the article by it.
   */
  setChargeTitle(receipt: string, title: string): void {
    const clean = cleanTitle(title);
    if (clean === '') return;
    this.write(() => this.exec("UPDATE ledger SET title = ? WHERE id = ? AND type = 'charge' AND title IS NOT ?", clean, receipt, clean));
  }

  setDailyCap(capMicros: number | null): WalletSummary {
    this.write(() => this.exec('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', 'daily_cap', capMicros));
    this.dailyCap = capMicros;
    return this.summary();
  }

  /**
   * Newest first; `beforeSeq` pages further back. A voided view is not listed, nor the row
   * that gave it back, and each row between the two shows the balance as if the view had
   * never been charged: the statement adds up, row by row, as the reader reads it.
   */
  ledger(limit = 50, beforeSeq?: number): { entries: LedgerEntry[]; nextBefore: number | null } {
    const rows = this.sql
      .exec<LedgerRow>(
        `SELECT l.seq, l.id, l.type, l.amount, l.at, l.host, l.path, l.reason, l.title,
           l.balance_after + COALESCE((
             SELECT SUM(c.amount) FROM ledger c JOIN ledger v ON v.idem = ? || c.id AND v.voided = 1
             WHERE c.voided = 1 AND c.type = 'charge' AND c.seq < l.seq AND v.seq > l.seq), 0) AS balance_after
         FROM ledger l WHERE l.seq < ? AND l.voided IS NULL ORDER BY l.seq DESC LIMIT ?`,
        IDEMPOTENCY_PREFIXES.refund,
        beforeSeq ?? Number.MAX_SAFE_INTEGER,
        limit + 1,
      )
      .toArray();
    const page = rows.slice(0, limit);
    return { entries: page.map(toEntry), nextBefore: rows.length > limit ? page[page.length - 1]!.seq : null };
  }

  // ---- money in ----

  credit(req: CreditRequest): CreditResult {
    if (this.readerId === null) return { ok: false, reason: 'no_such_reader', balanceMicros: 0 };
    if (req.idempotencyKey !== undefined) {
      const prior = this.byIdem(req.idempotencyKey);
      if (prior) return { ok: true, balanceMicros: this.balance, entryId: prior.id, duplicate: true };
    }
    if (req.amountMicros === 0) return { ok: true, balanceMicros: this.balance, entryId: null, duplicate: false };
    if (this.balance + req.amountMicros > MAX_BALANCE_MICROS) {
      return { ok: false, reason: 'balance_limit', balanceMicros: this.balance };
    }
    const id = newId();
    const now = Date.now();
    let balanceAfter = this.balance + req.amountMicros;
    this.write(() => {
      this.exec(
        'INSERT INTO ledger (id, type, amount, balance_after, at, reason, idem) VALUES (?, ?, ?, ?, ?, ?, ?)',
        id,
        req.type,
        req.amountMicros,
        balanceAfter,
        now,
        req.reason ?? null,
        req.idempotencyKey ?? null,
      );
      if (req.paymentIntent !== undefined) {
        // Stripe may have told us of a refund or dispute before the payment itself.
        recordPayment((q, ...p) => this.exec(q, ...p), req.paymentIntent, id, req.amountMicros, now);
        balanceAfter = this.settlePayment(req.paymentIntent, balanceAfter, now, 'Card payment refunded or disputed');
      }
    });
    this.balance = balanceAfter;
    return { ok: true, balanceMicros: this.balance, entryId: id, duplicate: false };
  }

  // ---- money taken back by Stripe ----

  /**
   * Applies what Stripe said about a card top-up (a refund, a dispute opened or closed)
   * and moves the balance to match: a `reversal` for what Stripe has taken and the
   * reader has not yet lost, a `reinstated` for what a won dispute gave back. The entry
   * depends only on the merged facts, so a repeat or a late event writes nothing.
   */
  takeBack(fact: PaymentFact): TakeBackResult {
    if (this.readerId === null) return { ok: false, reason: 'no_such_reader', balanceMicros: 0 };
    const now = Date.now();
    const before = this.balance;
    let balanceAfter = before;
    const why =
      fact.kind === 'refunded'
        ? `Card payment refunded in Stripe (${fact.paymentIntent})`
        : `Card payment disputed (${fact.disputeId}${fact.closed ? `, closed: ${fact.status}` : ''})`;
    this.write(() => {
      mergeFact((q, ...p) => this.exec(q, ...p), fact);
      balanceAfter = this.settlePayment(fact.paymentIntent, before, now, why);
    });
    this.balance = balanceAfter;
    return { ok: true, balanceMicros: this.balance, movedMicros: balanceAfter - before };
  }

  /** Inside a write: brings what a payment has taken in line with its facts. Returns the new balance. */
  private settlePayment(paymentIntent: string, balance: number, at: number, why: string): number {
    const standing = standingOf(this.sql, paymentIntent);
    if (!standing) return balance;
    if (standing.target === standing.taken) {
      setTaken((q, ...p) => this.exec(q, ...p), paymentIntent, standing);
      return balance;
    }
    const delta = standing.target - standing.taken;
    const type = delta > 0 ? 'reversal' : 'reinstated';
    const balanceAfter = balance - delta;
    this.exec(
      'INSERT INTO ledger (id, type, amount, balance_after, at, reason) VALUES (?, ?, ?, ?, ?, ?)',
      newId(),
      type,
      Math.abs(delta),
      balanceAfter,
      at,
      delta > 0 ? why : `Dispute closed in the reader's favour (${paymentIntent})`,
    );
    setTaken((q, ...p) => this.exec(q, ...p), paymentIntent, standing);
    return balanceAfter;
  }

  // ---- withdrawals: unspent card money refunded to the card ----

  /** What could be withdrawn now: unspent money that card top-ups brought in, in whole cents. */
  withdrawable(): { withdrawableMicros: number; balanceMicros: number } {
    const remainders = refundableRemainders(this.sql).reduce((s, r) => s + r.remainder, 0);
    const free = Math.max(0, this.available());
    return { withdrawableMicros: floorToCent(Math.min(free, remainders)), balanceMicros: this.balance };
  }

  /**
   * Takes the amount out of the balance as `withdrawal` entries, one per card top-up it is
   * refunded to (newest first, never more than what is left of each), each a pending part
   * that the Worker then asks Stripe to refund and confirms or voids. Written before
   * Stripe is called, so a crash at any point leaves either the money in the balance or a
   * pending part that is finished later with the same Stripe idempotency key.
   */
  beginWithdrawal(amountMicros: number): WithdrawalStart {
    if (this.readerId === null) return { ok: false, reason: 'no_such_reader', withdrawableMicros: 0 };
    const { withdrawableMicros } = this.withdrawable();
    if (amountMicros <= 0 || amountMicros % MICROS_PER_CENT !== 0) return { ok: false, reason: 'invalid_amount', withdrawableMicros };
    if (amountMicros > withdrawableMicros) return { ok: false, reason: 'not_withdrawable', withdrawableMicros };
    const withdrawalId = newId();
    const now = Date.now();
    const parts: WithdrawalPart[] = [];
    let left = amountMicros;
    for (const { paymentIntent, remainder } of refundableRemainders(this.sql)) {
      if (left === 0) break;
      const take = Math.min(left, floorToCent(remainder));
      if (take <= 0) continue;
      parts.push({ partId: newId(), withdrawalId, paymentIntent, amountMicros: take });
      left -= take;
    }
    let balance = this.balance;
    this.write(() => {
      for (const part of parts) {
        balance -= part.amountMicros;
        this.exec(
          'INSERT INTO withdrawal_parts (id, withdrawal_id, payment_intent, amount, state, created_at) VALUES (?, ?, ?, ?, ?, ?)',
          part.partId,
          withdrawalId,
          part.paymentIntent,
          part.amountMicros,
          'pending',
          now,
        );
        this.exec(
          'INSERT INTO ledger (id, type, amount, balance_after, at, reason, idem) VALUES (?, ?, ?, ?, ?, ?, ?)',
          part.partId,
          'withdrawal',
          part.amountMicros,
          balance,
          now,
          'Refunded to your card',
          withdrawalIdempotencyKey(part.partId),
        );
      }
    });
    this.balance = balance;
    return { ok: true, withdrawalId, parts, balanceMicros: this.balance };
  }

  /** Stripe made the refund: the part is done (the money left with the `withdrawal` entry). */
  confirmWithdrawalPart(partId: string, refundId: string): { ok: boolean; state: string | null } {
    this.write(() =>
      this.exec("UPDATE withdrawal_parts SET state = 'done', refund_id = ? WHERE id = ? AND state = 'pending'", refundId, partId),
    );
    return { ok: true, state: this.partState(partId) };
  }

  /** Stripe refused the refund for good: the part's money comes back to the balance, once. */
  voidWithdrawalPart(partId: string, why: string): { ok: boolean; state: string | null; balanceMicros: number } {
    const part = this.sql
      .exec<{ amount: number; payment_intent: string; state: string }>(
        'SELECT amount, payment_intent, state FROM withdrawal_parts WHERE id = ?',
        partId,
      )
      .toArray()[0];
    if (part?.state !== 'pending') return { ok: false, state: part?.state ?? null, balanceMicros: this.balance };
    const now = Date.now();
    let balance = this.balance + part.amount;
    this.write(() => {
      this.exec("UPDATE withdrawal_parts SET state = 'void' WHERE id = ?", partId);
      this.exec(
        'INSERT INTO ledger (id, type, amount, balance_after, at, reason, idem) VALUES (?, ?, ?, ?, ?, ?, ?)',
        newId(),
        'credit',
        part.amount,
        balance,
        now,
        `Withdrawal not made, money returned: ${why}`.slice(0, 500),
        withdrawalVoidIdempotencyKey(partId),
      );
      balance = this.settlePayment(part.payment_intent, balance, now, 'Card payment refunded in Stripe');
    });
    this.balance = balance;
    return { ok: true, state: 'void', balanceMicros: this.balance };
  }

  /** Parts still waiting for Stripe's answer, older than `olderThanMs` (younger ones may still be in flight). */
  pendingWithdrawalParts(olderThanMs: number): WithdrawalPart[] {
    return this.sql
      .exec<{ id: string; withdrawal_id: string; payment_intent: string; amount: number }>(
        "SELECT id, withdrawal_id, payment_intent, amount FROM withdrawal_parts WHERE state = 'pending' AND created_at <= ? ORDER BY created_at",
        Date.now() - olderThanMs,
      )
      .toArray()
      .map((r) => ({ partId: r.id, withdrawalId: r.withdrawal_id, paymentIntent: r.payment_intent, amountMicros: r.amount }));
  }

  private partState(partId: string): string | null {
    return this.sql.exec<{ state: string }>('SELECT state FROM withdrawal_parts WHERE id = ?', partId).toArray()[0]?.state ?? null;
  }

  // ---- money out: a view is charged at once, and voided if its origin does not deliver ----

  /** Whether a re-view window covers the path right now (HEAD asks this; it never charges). */
  covered(windowKey: string, grant?: Grant): { covered: boolean; balanceMicros: number } {
    if (grant && !grants.grantActive(this.sql, grant)) return { covered: false, balanceMicros: this.balance };
    return { covered: this.balance >= 0 && this.windowReceipt(windowKey) !== null, balanceMicros: this.balance };
  }

  /**
   * A view's one request to the wallet: judged and, if it may be delivered, charged in the
   * same synchronous turn (one transaction: the ledger row, its re-view window, its
   * idempotency key), before the origin has answered. So a concurrent view of the same path
   * or key finds the window or the key already there and is charged nothing, and the charge
   * stands unless the Worker voids it (`void`), which it does only when the origin did not
   * deliver. What a crash between the two costs is in SECURITY.md ("A view's charge").
   */
  charge(req: ChargeRequest): ChargeResult {
    if (req.grant && !grants.grantActive(this.sql, req.grant)) return { ok: false, reason: 'revoked', balanceMicros: this.available() };
    // A reader in debt (a card payment taken back) views nothing priced until topped up.
    if (this.balance < 0) return { ok: false, reason: 'insufficient_balance', balanceMicros: this.available() };

    if (req.idempotencyKey !== undefined) {
      const prior = this.viewByIdem(viewIdempotencyKey(req.idempotencyKey));
      if (prior) {
        const fingerprint = this.fingerprintOf(viewIdempotencyKey(req.idempotencyKey));
        const otherMethod = prior.method !== null && prior.method !== (req.method ?? 'GET');
        if (prior.host !== req.host || prior.path !== req.path || otherMethod || fingerprint !== (req.idempotencyFingerprint ?? null)) {
          return { ok: false, reason: 'idempotency_conflict', balanceMicros: this.available() };
        }
        return { ok: true, receipt: prior.id, chargedMicros: prior.amount, balanceMicros: this.available(), replay: true, voidable: false };
      }
    }
    if (req.reviewWindowSeconds !== undefined) {
      const receipt = this.windowReceipt(req.windowKey);
      if (receipt !== null) return { ok: true, receipt, chargedMicros: 0, balanceMicros: this.available(), replay: false, voidable: false };
    }
    if (req.maxPriceMicros !== undefined && req.priceMicros > req.maxPriceMicros) {
      return { ok: false, reason: 'price_above_max', balanceMicros: this.available() };
    }
    if (req.priceMicros > this.available()) {
      return { ok: false, reason: 'insufficient_balance', balanceMicros: this.available(), ...this.capShown() };
    }
    if (this.dailyCap !== null && this.spent() + this.setAside() + req.priceMicros > this.dailyCap) {
      return { ok: false, reason: 'daily_cap_reached', balanceMicros: this.available(), ...this.capShown() };
    }
    if (req.grant?.kind === 'token' && this.overTokenCap(req.grant.id, req.priceMicros)) {
      return { ok: false, reason: 'daily_cap_reached', balanceMicros: this.available() };
    }
    // A browser's view above the reader's ask-before-paying threshold waits for their click,
    // unless it carries the confirmation that click made for this very path (used up here).
    if (req.askFirst && this.askAbove !== null && req.priceMicros > this.askAbove && !this.takeConfirmation(req)) {
      return { ok: false, reason: 'confirmation_required', balanceMicros: this.available(), askAboveMicros: this.askAbove };
    }

    const now = Date.now();
    const balanceAfter = this.balance - req.priceMicros;
    const title = req.title === undefined ? '' : cleanTitle(req.title);
    this.write(() => {
      // A key whose 24 hours are over is free for a new view (no replay was found above).
      if (req.idempotencyKey !== undefined) this.releaseViewKey(viewIdempotencyKey(req.idempotencyKey));
      this.exec(
        'INSERT INTO ledger (id, type, amount, balance_after, at, host, path, idem, method, grant_id, title) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        req.receipt,
        'charge',
        req.priceMicros,
        balanceAfter,
        now,
        req.host,
        req.path,
        req.idempotencyKey === undefined ? null : viewIdempotencyKey(req.idempotencyKey),
        req.idempotencyKey === undefined ? null : (req.method ?? 'GET'),
        req.grant?.kind === 'connection' || req.grant?.kind === 'token' ? req.grant.id : null,
        title === '' ? null : title,
      );
      if (req.idempotencyKey !== undefined && req.idempotencyFingerprint !== undefined) {
        this.exec(
          'INSERT INTO idem_fingerprints (idem, fingerprint) VALUES (?, ?)',
          viewIdempotencyKey(req.idempotencyKey),
          req.idempotencyFingerprint,
        );
      }
      if (req.reviewWindowSeconds !== undefined) {
        this.exec(
          'INSERT OR REPLACE INTO windows (key, until, receipt) VALUES (?, ?, ?)',
          req.windowKey,
          now + req.reviewWindowSeconds * 1000,
          req.receipt,
        );
      }
    });
    this.usage.written();
    this.balance = balanceAfter;
    this.addSpent(now, req.priceMicros);
    return {
      ok: true,
      receipt: req.receipt,
      chargedMicros: req.priceMicros,
      balanceMicros: this.available(),
      replay: false,
      voidable: true,
    };
  }

  /**
   * Sets a slice of a hot reader's balance aside for one isolate (src/wallet/spend-leases.ts):
   * up to `views` views' worth, as much as the balance and the daily cap leave. A repeat of
   * the id answers the lease already granted. A named token's own cap is judged view by
   * view, so its views are never leased.
   */
  lease(req: LeaseRequest): LeaseResult {
    const now = Date.now();
    const existing = this.leases.get(req.leaseId);
    if (existing) {
      return { ok: true, leaseId: existing.id, amountMicros: existing.amount, expiresAt: existing.expiresAt, balanceMicros: this.balance };
    }
    if (!isReceipt(req.leaseId) || !Number.isSafeInteger(req.priceMicros) || req.priceMicros <= 0 || !Number.isSafeInteger(req.views)) {
      return { ok: false, reason: 'not_leasable', balanceMicros: this.available() };
    }
    if (req.grant?.kind === 'token') return { ok: false, reason: 'not_leasable', balanceMicros: this.available() };
    if (req.grant && !grants.grantActive(this.sql, req.grant)) return { ok: false, reason: 'revoked', balanceMicros: this.available() };
    let room = this.balance < 0 ? 0 : this.available();
    if (this.dailyCap !== null) room = Math.min(room, this.dailyCap - this.spent() - this.setAside());
    const views = Math.min(req.views, Math.floor(room / req.priceMicros));
    if (views < 1) return { ok: false, reason: 'insufficient_balance', balanceMicros: this.available() };
    const lease: OpenLease = {
      id: req.leaseId,
      host: req.host,
      price: req.priceMicros,
      amount: views * req.priceMicros,
      spent: 0,
      grantId: req.grant?.kind === 'connection' ? req.grant.id : null,
      expiresAt: now + LEASE_TTL_MS,
    };
    this.write(() =>
      this.exec(
        'INSERT INTO leases (id, host, price, amount, grant_id, granted_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        lease.id,
        lease.host,
        lease.price,
        lease.amount,
        lease.grantId,
        now,
        lease.expiresAt,
      ),
    );
    this.leases.set(lease.id, lease);
    return { ok: true, leaseId: lease.id, amountMicros: lease.amount, expiresAt: lease.expiresAt, balanceMicros: this.balance };
  }

  /**
   * The views an isolate delivered from a lease become charges, one ledger row each, in one
   * transaction, while the lease lasts and up to its amount; `final` gives the rest back.
   * Batches are numbered by the isolate, in order: a batch at or below the last one applied
   * is a repeat (its answer was lost) and writes nothing. A view refused here (the lease
   * expired, or is spent) was delivered and is not charged.
   */
  settleLease(leaseId: string, batch: number, charges: LeaseCharge[], final: boolean): SettleResult {
    const now = Date.now();
    const row = this.sql
      .exec<{
        host: string;
        price: number;
        amount: number;
        spent: number;
        grant_id: string | null;
        expires_at: number;
        closed: number;
        batches: number;
      }>('SELECT host, price, amount, spent, grant_id, expires_at, closed, batches FROM leases WHERE id = ?', leaseId)
      .toArray()[0];
    if (!row || !Number.isSafeInteger(batch)) return { ok: false, reason: 'no_such_lease', balanceMicros: this.balance };
    if (batch <= row.batches) return { ok: true, charged: 0, refused: 0, repeat: true, balanceMicros: this.balance };
    const open = row.closed === 0 && row.expires_at > now;
    let { spent } = row;
    let balance = this.balance;
    let refused = 0;
    this.write(() => {
      for (const c of Array.isArray(charges) ? charges : []) {
        if (!isReceipt(c?.receipt) || typeof c.path !== 'string' || !open || spent + row.price > row.amount || balance - row.price < 0) {
          refused += 1;
          continue;
        }
        balance -= row.price;
        spent += row.price;
        const title = c.title === undefined ? '' : cleanTitle(String(c.title));
        this.exec(
          'INSERT INTO ledger (id, type, amount, balance_after, at, host, path, grant_id, title) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          c.receipt,
          'charge',
          row.price,
          balance,
          now,
          row.host,
          c.path,
          row.grant_id,
          title === '' ? null : title,
        );
      }
      this.exec('UPDATE leases SET spent = ?, closed = ?, batches = ? WHERE id = ?', spent, final || row.closed ? 1 : 0, batch, leaseId);
    });
    const charged = spent - row.spent;
    if (charged > 0) {
      this.usage.written();
      this.addSpent(now, charged);
    }
    this.balance = balance;
    const lease = this.leases.get(leaseId);
    if (lease) {
      lease.spent = spent;
      if (final) this.leases.delete(leaseId);
    }
    return { ok: true, charged: charged / row.price, refused, repeat: false, balanceMicros: this.balance };
  }

  /**
   * The origin did not deliver a view charged by `charge`: the price goes back, and the
   * charge is no longer listed (neither is the row that gives it back; the statement reads
   * as if it had never been made). Safe to repeat, and to call for a receipt never written
   * (a charge whose answer was lost may not have been). The row that gives it back is a
   * refund with the charge's own `refund:` key, so no charge is ever given back twice,
   * whichever of void, refund or take-back comes first.
   */
  void(receipt: string): VoidResult {
    if (!isReceipt(receipt)) return { ok: true, voided: false, balanceMicros: this.balance };
    const charge = this.chargeRow(receipt);
    if (!charge) return { ok: true, voided: false, balanceMicros: this.balance };
    if (Date.now() - charge.at > VOIDABLE_MS) return { ok: false, reason: 'too_late', balanceMicros: this.balance };
    const { duplicate } = this.refundCharge(charge, 'Not delivered: the origin did not answer', () => {
      this.exec("UPDATE ledger SET voided = 1 WHERE id = ? AND type = 'charge'", receipt);
      this.exec('UPDATE ledger SET voided = 1 WHERE idem = ?', refundIdempotencyKey(receipt));
    });
    return { ok: true, voided: !duplicate, balanceMicros: this.balance };
  }

  /**
   * Gives a committed charge back, once: used when the content was charged but its body
   * never reached the reader. The re-view window the charge opened closes with it.
   */
  refund(receipt: string, reason: string): RefundResult {
    const charge = this.chargeRow(receipt);
    if (!charge) return { ok: false, reason: 'no_such_charge', balanceMicros: this.balance };
    return this.refundCharge(charge, reason);
  }

  /**
   * The reader takes a view back: within ten minutes of its charge, with a reason, and at
   * most max(3, 5% of the month's paid views) a month. It is refunded as a view not
   * delivered is, so it leaves the publisher's usage the same way.
   */
  takeBackView(receipt: string, reason: string): TakeBackViewResult {
    const charge = this.chargeRow(receipt);
    if (!charge) return { ok: false, reason: 'no_such_charge', balanceMicros: this.balance };
    const prior = this.byIdem(refundIdempotencyKey(receipt));
    const about = { host: charge.host ?? '', path: charge.path ?? '', amountMicros: charge.amount };
    if (prior) return { ok: true, balanceMicros: this.balance, entryId: prior.id, duplicate: true, ...about };
    const now = Date.now();
    if (now - charge.at > TAKE_BACK_WINDOW_MS) return { ok: false, reason: 'too_late', balanceMicros: this.balance };
    const allowance = allowanceOf(this.sql, now);
    if (allowance.used >= allowance.allowed) return { ok: false, reason: 'limit_reached', balanceMicros: this.balance, ...allowance };
    const result = this.refundCharge(charge, `Taken back by the reader: ${reason}`, () =>
      this.exec('INSERT INTO view_take_backs (receipt, at, reason) VALUES (?, ?, ?)', receipt, now, reason),
    );
    return { ...result, ...about };
  }

  /** A charge as its receipt shows it: whether it was taken back, and until when it may be. */
  receipt(receipt: string): ReceiptView | null {
    const charge = this.chargeRow(receipt);
    if (!charge) return null;
    const takenBack = this.byIdem(refundIdempotencyKey(receipt)) !== undefined;
    const allowance = allowanceOf(this.sql, Date.now());
    return {
      entry: toEntry(charge),
      takenBack,
      takeBackUntil: new Date(charge.at + TAKE_BACK_WINDOW_MS).toISOString(),
      takeBacksLeft: Math.max(0, allowance.allowed - allowance.used),
      balanceMicros: this.balance,
    };
  }

  /** Receipts of the charges that may still be taken back now (none once the month's allowance is used). */
  takeBackable(): string[] {
    const allowance = allowanceOf(this.sql, Date.now());
    if (allowance.used >= allowance.allowed) return [];
    return this.sql
      .exec<{ id: string }>(
        "SELECT id FROM ledger c WHERE type = 'charge' AND amount > 0 AND at > ? AND NOT EXISTS (SELECT 1 FROM ledger r WHERE r.idem = 'refund:' || c.id)",
        Date.now() - TAKE_BACK_WINDOW_MS,
      )
      .toArray()
      .map((r) => r.id);
  }

  /** How many views the reader may still take back this month. */
  takeBackAllowance(): TakeBackAllowance {
    return allowanceOf(this.sql, Date.now());
  }

  private chargeRow(receipt: string): LedgerRow | undefined {
    return this.sql
      .exec<LedgerRow>(
        "SELECT seq, id, type, amount, balance_after, at, host, path, reason, title FROM ledger WHERE id = ? AND type = 'charge' AND voided IS NULL",
        receipt,
      )
      .toArray()[0];
  }

  /** Gives a charge back, once; `also` writes in the same transaction. */
  private refundCharge(
    charge: LedgerRow,
    reason: string,
    also?: () => void,
  ): { ok: true; balanceMicros: number; entryId: string; duplicate: boolean } {
    const receipt = charge.id;
    const idem = refundIdempotencyKey(receipt);
    const prior = this.byIdem(idem);
    if (prior) return { ok: true, balanceMicros: this.balance, entryId: prior.id, duplicate: true };
    const id = newId();
    const now = Date.now();
    const balanceAfter = this.balance + charge.amount;
    this.write(() => {
      this.exec(
        // The refund names the credential the charge did, so that a named token's own cap gets it back.
        "INSERT INTO ledger (id, type, amount, balance_after, at, host, path, reason, idem, grant_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT grant_id FROM ledger WHERE id = ? AND type = 'charge'))",
        id,
        'refund',
        charge.amount,
        balanceAfter,
        now,
        charge.host,
        charge.path,
        reason,
        idem,
        receipt,
      );
      this.exec('DELETE FROM windows WHERE receipt = ?', receipt);
      // A refunded view was never delivered: its idempotency key must not replay it free.
      this.exec('DELETE FROM idem_fingerprints WHERE idem = (SELECT idem FROM ledger WHERE id = ?)', receipt);
      this.exec("UPDATE ledger SET idem = NULL WHERE id = ? AND type = 'charge'", receipt);
      also?.();
    });
    this.usage.written();
    this.balance = balanceAfter;
    this.unspend(charge.at, charge.amount);
    return { ok: true, balanceMicros: this.balance, entryId: id, duplicate: false };
  }

  // ---- passkeys and recovery (src/wallet/passkey-store.ts) ----

  /** Stores a verified registration and consumes its challenge. */
  addPasskey(key: NewPasskey): AddPasskeyResult {
    if (this.readerId === null) return { ok: false, reason: 'no_such_reader' };
    let result: AddPasskeyResult = { ok: false, reason: 'challenge_used' };
    this.write(() => (result = passkeyStore.addPasskey(this.sql, (q, ...p) => this.exec(q, ...p), key, Date.now())));
    return result;
  }

  /** The credential a sign-in is verified against, or null when this wallet has no such passkey. */
  passkeyFor(credentialId: string): StoredPasskey | null {
    return passkeyStore.passkeyFor(this.sql, credentialId);
  }

  /** A verified sign-in: records the counter and last use, and consumes the challenge, in one write. */
  usePasskey(use: UsePasskey): UsePasskeyResult {
    let result: UsePasskeyResult = { ok: false, reason: 'unknown_credential' };
    this.write(() => (result = passkeyStore.usePasskey(this.sql, (q, ...p) => this.exec(q, ...p), use, Date.now())));
    return result;
  }

  passkeys(): PasskeySummary[] {
    return passkeyStore.listPasskeys(this.sql);
  }

  /** Refuses to remove the last passkey of a wallet without a recovery code (passkey-store.ts says why). */
  removePasskey(id: string): RemovePasskeyResult {
    let result: RemovePasskeyResult = { ok: false, reason: 'not_found' };
    this.write(() => (result = passkeyStore.removePasskey(this.sql, (q, ...p) => this.exec(q, ...p), id)));
    return result;
  }

  hasRecoveryCode(): boolean {
    return passkeyStore.hasRecoveryCode(this.sql);
  }

  /** Sets or rotates the recovery code, given as its SHA-256 hex (src/passkeys/recovery-code.ts). */
  setRecoveryCodeHash(hash: string): { ok: true } | { ok: false; reason: 'no_such_reader' | 'invalid_hash' } {
    if (this.readerId === null) return { ok: false, reason: 'no_such_reader' };
    let result: { ok: true } | { ok: false; reason: 'invalid_hash' } = { ok: false, reason: 'invalid_hash' };
    this.write(() => (result = passkeyStore.setRecoveryCodeHash((q, ...p) => this.exec(q, ...p), hash, Date.now())));
    return result;
  }

  /** Throttled: 10 wrong codes an hour, then even the right one waits. */
  checkRecoveryCode(hash: string): RecoveryCheckResult {
    let result: RecoveryCheckResult = { ok: false, reason: 'wrong_code' };
    this.write(() => (result = passkeyStore.checkRecoveryCode(this.sql, (q, ...p) => this.exec(q, ...p), hash, Date.now())));
    return result;
  }

  // ---- sessions, publisher connections, named tokens (src/wallet/grants.ts) ----

  grantActive(grant: Grant): boolean {
    return grants.grantActive(this.sql, grant);
  }

  /** A browser signed in on the wallet host; the caller signs the token naming it. */
  startSession(): { ok: true; sessionId: string } | { ok: false; reason: 'no_such_reader' } {
    if (this.readerId === null) return { ok: false, reason: 'no_such_reader' };
    const sessionId = newGrantId();
    this.write(() => grants.startSession((q, ...p) => this.exec(q, ...p), sessionId, Date.now()));
    return { ok: true, sessionId };
  }

  endSession(sessionId: string): void {
    this.write(() => grants.endSession((q, ...p) => this.exec(q, ...p), sessionId, Date.now()));
  }

  signOutEverywhere(): void {
    this.write(() => grants.signOutEverywhere((q, ...p) => this.exec(q, ...p), Date.now()));
  }

  isConnected(host: string): boolean {
    return grants.activeConnectionFor(this.sql, host) !== null;
  }

  /** The reader allows `host` to charge them (idempotent), and a single-use code carries that back to it. */
  connectPublisher(host: string, returnPath: string): { ok: true; code: string } | { ok: false; reason: 'no_such_reader' } {
    if (this.readerId === null) return { ok: false, reason: 'no_such_reader' };
    const codeId = newGrantId();
    const now = Date.now();
    const exec = (q: string, ...p: unknown[]) => this.exec(q, ...p);
    this.write(() => {
      grants.connect(this.sql, exec, host, newGrantId(), now);
      grants.issueConnectCode(this.sql, exec, { codeId, host, returnPath }, now);
    });
    return { ok: true, code: `${this.readerId}.${codeId}` };
  }

  redeemConnectCode(codeId: string, host: string, returnPath: string): grants.RedeemResult {
    let result!: grants.RedeemResult;
    this.write(() => {
      result = grants.redeemConnectCode(this.sql, (q, ...p) => this.exec(q, ...p), { codeId, host, returnPath }, Date.now());
    });
    return result;
  }

  connections(): grants.ConnectionView[] {
    return grants.connections(this.sql, utcDayStart(Date.now()));
  }

  /** A bearer token for one of the reader's scripts, with its own daily cap; the caller signs it. */
  addNamedToken(
    name: string,
    dailyCapMicros: number | null,
  ): { ok: true; tokenId: string } | { ok: false; reason: 'no_such_reader' | 'too_many_tokens' } {
    if (this.readerId === null) return { ok: false, reason: 'no_such_reader' };
    const tokenId = newGrantId();
    let added = false;
    this.write(() => {
      added = grants.addNamedToken(this.sql, (q, ...p) => this.exec(q, ...p), { id: tokenId, name, dailyCapMicros }, Date.now());
    });
    return added ? { ok: true, tokenId } : { ok: false, reason: 'too_many_tokens' };
  }

  revokeNamedToken(tokenId: string): void {
    this.write(() => grants.revokeNamedToken((q, ...p) => this.exec(q, ...p), tokenId, Date.now()));
  }

  namedTokens(): grants.NamedTokenView[] {
    return grants.namedTokens(this.sql, utcDayStart(Date.now()));
  }

  disconnect(host: string): void {
    this.write(() => grants.disconnect((q, ...p) => this.exec(q, ...p), host, Date.now()));
  }

  // ---- transfers between wallets (src/wallet/transfers.ts) ----

  /**
   * Step 1 of a transfer: takes min(requested, the balance) out as a
   * `transfer_out`, recorded pending until the receiver answers. A reader in debt has
   * nothing free. A repeat of the id answers what the first call did and writes nothing.
   */
  async transferOut(req: TransferOutRequest): Promise<TransferOutResult> {
    if (this.readerId === null) return { ok: false, reason: 'no_such_reader', balanceMicros: 0 };
    if (!isTransferId(req.transferId) || typeof req.toReaderId !== 'string' || !isTransferAmount(req.amountMicros)) {
      return { ok: false, reason: 'invalid_request', balanceMicros: this.balance };
    }
    if (req.toReaderId === this.readerId) return { ok: false, reason: 'same_reader', balanceMicros: this.balance };
    const prior = transferRow(this.sql, req.transferId);
    if (prior) {
      if (prior.direction !== 'out' || prior.peer !== req.toReaderId)
        return { ok: false, reason: 'transfer_conflict', balanceMicros: this.balance };
      return { ok: true, amountMicros: prior.amount, state: senderStateOf(this.sql, prior), duplicate: true, balanceMicros: this.balance };
    }
    const free = Math.max(0, this.available());
    const amount = req.amountMicros === 'all' ? free : Math.min(req.amountMicros, free);
    const now = Date.now();
    const state = amount > 0 ? 'pending' : 'done';
    const balanceAfter = this.balance - amount;
    this.write(() => {
      recordTransfer((q, ...p) => this.exec(q, ...p), {
        id: req.transferId,
        direction: 'out',
        peer: req.toReaderId,
        amount,
        state,
        at: now,
      });
      if (amount > 0) {
        this.exec(
          'INSERT INTO ledger (id, type, amount, balance_after, at, reason) VALUES (?, ?, ?, ?, ?, ?)',
          req.transferId,
          'transfer_out',
          amount,
          balanceAfter,
          now,
          `Moved to reader ${req.toReaderId}`,
        );
      }
    });
    this.balance = balanceAfter;
    // Written already: the awaits below cannot let anything in between the check and the write.
    if (state === 'pending') await this.armTransferRetry(now + TRANSFER_RETRY_AFTER_MS);
    return { ok: true, amountMicros: amount, state, duplicate: false, balanceMicros: this.balance };
  }

  /**
   * Step 2, on the receiver: credits a `transfer_in` once per id. A refusal for good is
   * recorded as a row of 0, so that the same id is refused ever after and the sender may
   * safely take its money back.
   */
  transferIn(req: TransferInRequest): TransferInResult {
    if (
      !isTransferId(req.transferId) ||
      typeof req.fromReaderId !== 'string' ||
      typeof req.amountMicros !== 'number' ||
      !isTransferAmount(req.amountMicros)
    ) {
      return { ok: false, reason: 'invalid_request', balanceMicros: this.balance };
    }
    if (req.fromReaderId === this.readerId) return { ok: false, reason: 'same_reader', balanceMicros: this.balance };
    const prior = transferRow(this.sql, req.transferId);
    if (prior) {
      if (prior.direction !== 'in' || prior.peer !== req.fromReaderId)
        return { ok: false, reason: 'transfer_conflict', balanceMicros: this.balance };
      if (prior.amount === req.amountMicros) return { ok: true, amountMicros: prior.amount, duplicate: true, balanceMicros: this.balance };
      if (prior.amount === 0) return { ok: false, reason: 'refused', balanceMicros: this.balance };
      return { ok: false, reason: 'transfer_conflict', balanceMicros: this.balance };
    }
    const now = Date.now();
    const row = { id: req.transferId, direction: 'in' as const, peer: req.fromReaderId, state: 'done' as const, at: now };
    const refusal =
      this.readerId === null
        ? ('no_such_reader' as const)
        : this.balance + req.amountMicros > MAX_BALANCE_MICROS
          ? ('balance_limit' as const)
          : null;
    if (refusal !== null || req.amountMicros === 0) {
      this.write(() => recordTransfer((q, ...p) => this.exec(q, ...p), { ...row, amount: 0 }));
      return refusal === null
        ? { ok: true, amountMicros: 0, duplicate: false, balanceMicros: this.balance }
        : { ok: false, reason: refusal, balanceMicros: this.balance };
    }
    const balanceAfter = this.balance + req.amountMicros;
    this.write(() => {
      recordTransfer((q, ...p) => this.exec(q, ...p), { ...row, amount: req.amountMicros });
      this.exec(
        'INSERT INTO ledger (id, type, amount, balance_after, at, reason) VALUES (?, ?, ?, ?, ?, ?)',
        req.transferId,
        'transfer_in',
        req.amountMicros,
        balanceAfter,
        now,
        `Moved from reader ${req.fromReaderId}`,
      );
    });
    this.balance = balanceAfter;
    return { ok: true, amountMicros: req.amountMicros, duplicate: false, balanceMicros: this.balance };
  }

  /** Step 3, the receiver credited it: the sender's row is done. */
  transferDelivered(transferId: string): TransferFinish {
    return this.finishOutgoing(transferId, false);
  }

  /**
   * Step 3, the receiver refused it for good (call it only then): the money comes back to
   * the sender as a `transfer_in` from itself, once. It may take the balance over the
   * limit, as it was the reader's own money a moment ago.
   */
  transferReturned(transferId: string): TransferFinish {
    return this.finishOutgoing(transferId, true);
  }

  /** Outgoing transfers still pending that began at least `olderThanMs` ago: to be finished by `finishTransfer`. */
  pendingTransfers(olderThanMs: number): PendingTransfer[] {
    return pendingOutgoing(this.sql, olderThanMs, Date.now());
  }

  /** One transfer as this wallet recorded it (either side), for support and tests. */
  transfer(transferId: string): (TransferRow & { senderState: TransferState | null }) | null {
    const row = transferRow(this.sql, transferId);
    return row ? { ...row, senderState: row.direction === 'out' ? senderStateOf(this.sql, row) : null } : null;
  }

  private finishOutgoing(transferId: string, returned: boolean): TransferFinish {
    const row = transferRow(this.sql, transferId);
    if (row?.direction !== 'out') return { ok: false, reason: 'no_such_transfer', state: null, balanceMicros: this.balance };
    if (row.state !== 'pending')
      return { ok: false, reason: 'not_pending', state: senderStateOf(this.sql, row), balanceMicros: this.balance };
    const balanceAfter = returned ? this.balance + row.amount : this.balance;
    this.write(() => {
      markTransferDone((q, ...p) => this.exec(q, ...p), transferId);
      if (returned) {
        this.exec(
          'INSERT INTO ledger (id, type, amount, balance_after, at, reason, idem) VALUES (?, ?, ?, ?, ?, ?, ?)',
          newId(),
          'transfer_in',
          row.amount,
          balanceAfter,
          Date.now(),
          `Move to reader ${row.peer} refused, money returned (transfer ${transferId})`,
          transferReturnKey(transferId),
        );
      }
    });
    this.balance = balanceAfter;
    return { ok: true, state: returned ? 'returned' : 'done', balanceMicros: this.balance };
  }

  /**
   * The alarm's share of transfers: finishes outgoing ones their caller left pending, then
   * comes back for what is left. A delivery that throws stays pending for the next try.
   */
  private async finishPendingTransfers(): Promise<void> {
    if (this.readerId === null) return;
    for (const t of pendingOutgoing(this.sql, TRANSFER_RETRY_AFTER_MS, Date.now())) {
      try {
        const done = await finishTransfer(this, walletOf(this.env, t.toReaderId), {
          transferId: t.transferId,
          fromReaderId: this.readerId,
          amountMicros: t.amountMicros,
        });
        if (!done.ok)
          log('error', 'transfer_refused_by_receiver', { readerId: this.readerId, transferId: t.transferId, reason: done.reason });
      } catch (e) {
        log('error', 'transfer_delivery_failed', { readerId: this.readerId, transferId: t.transferId, outcome: 'stays pending', error: e });
      }
    }
    const next = nextTransferRetry(this.sql, Date.now());
    if (next !== null) await this.armTransferRetry(next);
  }

  /**
   * Sets the alarm for `at` unless one is already due by then. It never moves the usage
   * outbox's alarm later, and an earlier alarm serves both: `alarm()` flushes usage and
   * comes back here. (The outbox may itself move ours later, never away: its alarm still
   * runs `alarm()`.) getAlarm is storage, so nothing else runs between it and setAlarm.
   */
  private async armTransferRetry(at: number): Promise<void> {
    try {
      const current = await this.ctx.storage.getAlarm();
      if (current === null || current > at) await this.ctx.storage.setAlarm(at);
    } catch (e) {
      log('error', 'transfer_alarm_not_set', { readerId: this.readerId, error: e });
    }
  }

  /**
   * Deletes re-view windows past their end and x402 fingerprints whose key no longer
   * replays (its charge is over 24 hours old, or was refunded), a bounded batch at a time;
   * neither is ever read again. Done in the alarm, never on a view, so a paid view writes
   * no more rows than before; every charge arms the alarm (the usage flush), and while
   * rows remain the sweep comes back for them, at most hourly, so a reader who stops
   * reading still has them deleted.
   */
  private async sweepExpired(): Promise<void> {
    const now = Date.now();
    const keyCutoff = now - VIEW_IDEMPOTENCY_MS;
    this.exec('DELETE FROM leases WHERE expires_at < ?', now - LEASE_RETENTION_MS);
    const windows = this.sql.exec<{ key: string }>('SELECT key FROM windows WHERE until <= ? LIMIT ?', now, SWEEP_BATCH).toArray();
    const fingerprints = this.sql
      .exec<{ idem: string }>(
        'SELECT f.idem FROM idem_fingerprints f WHERE NOT EXISTS (SELECT 1 FROM ledger l WHERE l.idem = f.idem AND l.at > ?) LIMIT ?',
        keyCutoff,
        SWEEP_BATCH,
      )
      .toArray();
    if (windows.length > 0 || fingerprints.length > 0) {
      this.write(() => {
        // `until <= now` again: a window renewed since the select is kept.
        for (const { key } of windows) this.exec('DELETE FROM windows WHERE key = ? AND until <= ?', key, now);
        for (const { idem } of fingerprints) {
          this.exec(
            'DELETE FROM idem_fingerprints WHERE idem = ? AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.idem = ? AND l.at > ?)',
            idem,
            idem,
            keyCutoff,
          );
        }
      });
    }
    let next: number | null;
    if (windows.length === SWEEP_BATCH || fingerprints.length === SWEEP_BATCH) next = now;
    else {
      const soonest = this.sql
        .exec<{ at: number | null }>(
          `SELECT MIN(at) AS at FROM (
             SELECT MIN(until) AS at FROM windows
             UNION ALL SELECT MIN(l.at) + ? FROM idem_fingerprints f JOIN ledger l ON l.idem = f.idem)`,
          VIEW_IDEMPOTENCY_MS,
        )
        .one().at;
      next = soonest === null ? null : Math.max(soonest, now + SWEEP_EVERY_MS);
    }
    if (next === null) return;
    try {
      const current = await this.ctx.storage.getAlarm();
      if (current === null || current > next) await this.ctx.storage.setAlarm(next);
    } catch (e) {
      log('error', 'wallet_sweep_alarm_not_set', { readerId: this.readerId, error: e });
    }
  }

  /** Counters for tests and the bench. */
  stats(): WalletStats {
    return {
      rowsWritten: this.writes.rowsWritten,
      ...this.usage.stats(),
    };
  }

  // ---- internals ----

  /** Whether a named token's views today and this price together pass its own cap. */
  private overTokenCap(tokenId: string, priceMicros: number): boolean {
    const { capMicros, spentMicros } = grants.namedTokenToday(this.sql, tokenId, utcDayStart(Date.now()));
    return capMicros !== null && spentMicros + priceMicros > capMicros;
  }

  /** The daily cap and today's spending, for a refusal's page to show; nothing when no cap is set. */
  private capShown(): { spentTodayMicros?: number; dailyCapMicros?: number } {
    return this.dailyCap === null ? {} : { spentTodayMicros: this.spent(), dailyCapMicros: this.dailyCap };
  }

  /** Uses up a confirmation made for this host and path, if the request carries a live one. */
  private takeConfirmation(req: ChargeRequest): boolean {
    if (req.confirmation === undefined) return false;
    const c = this.confirmations.get(req.confirmation);
    if (!c || c.until <= Date.now() || c.host !== req.host || c.path !== req.path) return false;
    this.confirmations.delete(req.confirmation);
    return true;
  }

  /** The balance less what leases set aside for isolates: what a view, transfer or withdrawal may take. */
  private available(): number {
    return this.balance - this.setAside();
  }

  private setAside(): number {
    return this.leases.size === 0 ? 0 : setAside(this.leases, Date.now());
  }

  private windowReceipt(windowKey: string): string | null {
    const row = this.sql
      .exec<{ until: number; receipt: string }>('SELECT until, receipt FROM windows WHERE key = ?', windowKey)
      .toArray()[0];
    return row && row.until > Date.now() ? row.receipt : null;
  }

  private byIdem(idem: string): LedgerRow | undefined {
    return this.sql
      .exec<LedgerRow>('SELECT seq, id, type, amount, balance_after, at, host, path, reason, title FROM ledger WHERE idem = ?', idem)
      .toArray()[0];
  }

  /** The charge that used a view's idempotency key within the last 24 hours, if any. */
  private viewByIdem(
    idem: string,
  ): { id: string; amount: number; host: string | null; path: string | null; method: string | null } | undefined {
    return this.sql
      .exec<{ id: string; amount: number; host: string | null; path: string | null; method: string | null }>(
        'SELECT id, amount, host, path, method FROM ledger WHERE idem = ? AND at > ?',
        idem,
        Date.now() - VIEW_IDEMPOTENCY_MS,
      )
      .toArray()[0];
  }

  /** Lets go of a view's idempotency key (and its x402 fingerprint) once its 24 hours are over. */
  private releaseViewKey(idem: string): void {
    this.exec('DELETE FROM idem_fingerprints WHERE idem = ?', idem);
    this.exec("UPDATE ledger SET idem = NULL WHERE idem = ? AND type = 'charge'", idem);
  }

  private fingerprintOf(idem: string): string | null {
    return (
      this.sql.exec<{ fingerprint: string }>('SELECT fingerprint FROM idem_fingerprints WHERE idem = ?', idem).toArray()[0]?.fingerprint ??
      null
    );
  }

  /** Spent today, as `spentSince` (spent-today.ts) reads it from the ledger: today's charges less their refunds. */
  private spent(): number {
    const today = utcDay(Date.now());
    if (today !== this.spentDay) {
      this.spentDay = today;
      this.spentToday = 0;
    }
    return this.spentToday;
  }

  /** A charge written at `at`. */
  private addSpent(at: number, amount: number): void {
    this.spent();
    if (utcDay(at) === this.spentDay) this.spentToday += amount;
  }

  /** The charge written at `at` was refunded: it counts no more on its own day (only today's is kept). */
  private unspend(chargeAt: number, amount: number): void {
    this.spent();
    if (utcDay(chargeAt) === this.spentDay) this.spentToday -= amount;
  }

  private spentOn(day: string): number {
    return spentSince(this.sql, Date.parse(`${day}T00:00:00Z`));
  }

  private metaGet(key: string): SqlStorageValue {
    return this.sql.exec<{ value: SqlStorageValue }>('SELECT value FROM meta WHERE key = ?', key).toArray()[0]?.value ?? null;
  }

  private write(fn: () => void): void {
    this.ctx.storage.transactionSync(fn);
  }

  private exec(query: string, ...params: unknown[]): void {
    this.writes.all(query, ...params);
  }
}

/** A title as a person reads it: whitespace collapsed, control characters gone, bounded. */
export function cleanTitle(raw: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = raw
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return [...flat].slice(0, MAX_TITLE_CHARS).join('');
}

function floorToCent(micros: number): number {
  return Math.floor(micros / MICROS_PER_CENT) * MICROS_PER_CENT;
}

/** A receipt as the Worker makes them (crypto.randomUUID). */
function isReceipt(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value);
}

function newId(): string {
  return crypto.randomUUID();
}
