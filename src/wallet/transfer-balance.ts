import { finishTransfer, type TransferState } from './transfers';
import { walletOf } from './wallet-stub';

export type TransferBalanceRequest = {
  fromReaderId: string;
  toReaderId: string;
  transferId: string;
  /** What to move; 'all' (the default) is everything the sender has free of holds. */
  amountMicros?: number | 'all';
};

export type TransferBalanceResult =
  | { ok: true; transferId: string; movedMicros: number; state: TransferState; duplicate: boolean }
  | {
      ok: false;
      transferId: string;
      reason: 'same_reader' | 'no_such_reader' | 'invalid_request' | 'transfer_conflict';
    };

/**
 * Moves money from one reader's wallet to another's: out, in, then delivered (or returned
 * when the receiver refuses for good). Every step is idempotent on `transferId`, so calling
 * this again after it stopped anywhere, or while the sender's alarm finishes the same
 * transfer, completes it exactly once. A throw means "not finished yet": call again.
 * `movedMicros` is what reached the receiver (0 once returned); `duplicate` says an earlier
 * call had already begun this transfer.
 */
export async function transferBalance(env: Env, req: TransferBalanceRequest): Promise<TransferBalanceResult> {
  const { fromReaderId, toReaderId, transferId } = req;
  if (fromReaderId === toReaderId) return { ok: false, transferId, reason: 'same_reader' };
  const sender = walletOf(env, fromReaderId);
  const out = await sender.transferOut({ transferId, toReaderId, amountMicros: req.amountMicros ?? 'all' });
  if (!out.ok) return { ok: false, transferId, reason: out.reason };
  let state = out.state;
  if (state === 'pending') {
    const finished = await finishTransfer(sender, walletOf(env, toReaderId), { transferId, fromReaderId, amountMicros: out.amountMicros });
    if (!finished.ok) return { ok: false, transferId, reason: finished.reason };
    state = finished.state;
  }
  return { ok: true, transferId, movedMicros: state === 'returned' ? 0 : out.amountMicros, state, duplicate: out.duplicate };
}
