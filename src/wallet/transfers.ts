/**
 * Money moved from one reader's wallet to another's. Each side keeps one `transfers` row
 * per transfer id (wallet migration 5), written in the same transaction as its ledger
 * entry, so every step can be asked again and happens at most once:
 *
 * 1. the sender debits a `transfer_out` and records the transfer `pending`;
 * 2. the receiver credits a `transfer_in` and records it `done`, or refuses it for good
 *    (over the balance limit, no such reader) and records that refusal as a row of 0;
 * 3. the sender records it `done`: delivered, or, after a refusal for good, returned to
 *    itself as a `transfer_in` of its own.
 *
 * Until step 3 the money is in flight: counted in neither balance if step 2 has not
 * happened, in the receiver's once it has. The sender's alarm finishes transfers left
 * pending by a caller that stopped half-way.
 */
import { IDEMPOTENCY_PREFIXES } from '../storage/kv-keys';

/** A transfer younger than this may still be finished by the call that began it. */
export const TRANSFER_RETRY_AFTER_MS = 30_000;

export type TransferRow = {
  id: string;
  direction: 'out' | 'in';
  peer: string;
  amount: number;
  state: 'pending' | 'done';
  at: number;
};

/** Where a transfer stands on the sender's side. */
export type TransferState = 'pending' | 'done' | 'returned';

export type TransferOutRequest = { transferId: string; toReaderId: string; amountMicros: number | 'all' };
export type TransferOutResult =
  | { ok: true; amountMicros: number; state: TransferState; duplicate: boolean; balanceMicros: number }
  | { ok: false; reason: 'no_such_reader' | 'invalid_request' | 'same_reader' | 'transfer_conflict'; balanceMicros: number };

export type TransferInRequest = { transferId: string; fromReaderId: string; amountMicros: number };
/** Refusals for good: the receiver has recorded them, so the sender may take its money back. */
export type FinalRefusal = 'balance_limit' | 'no_such_reader' | 'refused';
export type TransferInResult =
  | { ok: true; amountMicros: number; duplicate: boolean; balanceMicros: number }
  | { ok: false; reason: FinalRefusal | 'invalid_request' | 'same_reader' | 'transfer_conflict'; balanceMicros: number };

export type TransferFinish =
  | { ok: true; state: TransferState; balanceMicros: number }
  | { ok: false; reason: 'no_such_transfer' | 'not_pending'; state: TransferState | null; balanceMicros: number };

export type PendingTransfer = { transferId: string; toReaderId: string; amountMicros: number; at: number };

export function isFinalRefusal(reason: string): reason is FinalRefusal {
  return reason === 'balance_limit' || reason === 'no_such_reader' || reason === 'refused';
}

/** Ids come from the Worker (hashed Idempotency-Keys, uuids): bounded, printable, never empty. */
export function isTransferId(id: unknown): id is string {
  return typeof id === 'string' && /^[\x21-\x7e]{1,200}$/.test(id);
}

export function isTransferAmount(amount: unknown): amount is number | 'all' {
  return amount === 'all' || (typeof amount === 'number' && Number.isSafeInteger(amount) && amount >= 0);
}

/** The ledger key of the entry that gives a refused transfer back to its sender: at most once. */
export function transferReturnKey(transferId: string): string {
  return `${IDEMPOTENCY_PREFIXES.transferReturn}${transferId}`;
}

type Exec = (query: string, ...params: unknown[]) => void;

export function transferRow(sql: SqlStorage, transferId: string): TransferRow | undefined {
  return sql.exec<TransferRow>('SELECT id, direction, peer, amount, state, at FROM transfers WHERE id = ?', transferId).toArray()[0];
}

export function recordTransfer(exec: Exec, row: TransferRow): void {
  exec(
    'INSERT INTO transfers (id, direction, peer, amount, state, at) VALUES (?, ?, ?, ?, ?, ?)',
    row.id,
    row.direction,
    row.peer,
    row.amount,
    row.state,
    row.at,
  );
}

export function markTransferDone(exec: Exec, transferId: string): void {
  exec("UPDATE transfers SET state = 'done' WHERE id = ? AND state = 'pending'", transferId);
}

/** The sender's view of its own row: a done row whose money came back is `returned`. */
export function senderStateOf(sql: SqlStorage, row: TransferRow): TransferState {
  if (row.state === 'pending') return 'pending';
  const returned = sql.exec('SELECT 1 FROM ledger WHERE idem = ?', transferReturnKey(row.id)).toArray().length > 0;
  return returned ? 'returned' : 'done';
}

/** Outgoing transfers not yet finished that began at least `olderThanMs` ago, oldest first. */
export function pendingOutgoing(sql: SqlStorage, olderThanMs: number, now: number): PendingTransfer[] {
  return sql
    .exec<TransferRow>(
      "SELECT id, direction, peer, amount, state, at FROM transfers WHERE direction = 'out' AND state = 'pending' AND at <= ? ORDER BY at",
      now - olderThanMs,
    )
    .toArray()
    .map((r) => ({ transferId: r.id, toReaderId: r.peer, amountMicros: r.amount, at: r.at }));
}

/** When the sender should next look at its pending transfers, or null when none is left. */
export function nextTransferRetry(sql: SqlStorage, now: number): number | null {
  const oldest = sql
    .exec<{ at: number | null }>("SELECT MIN(at) AS at FROM transfers WHERE direction = 'out' AND state = 'pending'")
    .one().at;
  if (oldest === null) return null;
  // One already due was just tried and failed: give the receiver a while before the next try.
  return Math.max(oldest + TRANSFER_RETRY_AFTER_MS, now + TRANSFER_RETRY_AFTER_MS / 2);
}

/** What the sender's side of `finishTransfer` needs: its own Wallet, or a stub of it. */
type Sender = {
  transferDelivered(transferId: string): unknown;
  transferReturned(transferId: string): unknown;
};
type Receiver = { transferIn(req: TransferInRequest): Promise<TransferInResult> };

/**
 * Steps 2 and 3 of a transfer the sender has recorded: each is safe to repeat, and the
 * receiver's answer is final once given, so any number of callers (the Worker's
 * orchestrator, the sender's alarm) may run this at once and the money moves once.
 */
export async function finishTransfer(
  sender: Sender,
  receiver: Receiver,
  transfer: TransferInRequest,
): Promise<{ ok: true; state: TransferState } | { ok: false; reason: 'transfer_conflict' | 'invalid_request' | 'same_reader' }> {
  const received = await receiver.transferIn(transfer);
  if (received.ok) {
    await sender.transferDelivered(transfer.transferId);
    return { ok: true, state: 'done' };
  }
  if (isFinalRefusal(received.reason)) {
    await sender.transferReturned(transfer.transferId);
    return { ok: true, state: 'returned' };
  }
  return { ok: false, reason: received.reason };
}
