import type { Context } from 'hono';
import { jsonError } from '../http/json-errors';
import { walletOf } from '../wallet/wallet-stub';
import type { RefundResult } from '../wallet/wallet-types';

/**
 * A call to a reader's wallet can fail for reasons that are nobody's fault: the object
 * was reset (a deploy, an eviction) or is overloaded. The view then answers 503 and no
 * money moves, rather than a 500.
 */
export async function tryWallet<T>(what: string, call: () => PromiseLike<T>): Promise<T | null> {
  try {
    return await call();
  } catch (e) {
    console.error(`wallet ${what} failed`, String(e));
    return null;
  }
}

export function walletUnavailable(c: Context): Response {
  return jsonError(c, 503, 'wallet_unavailable', "The reader's wallet could not be reached; nothing was charged. Please retry.");
}

/**
 * A commit whose answer was lost may or may not have been written, and the content will
 * not be delivered. So the hold is released and the charge, if it was written, refunded:
 * either way the reader is not charged. A fresh stub, since a reset breaks the old one.
 */
export async function undoUncertainCommit(env: Env, readerId: string, holdId: string): Promise<void> {
  const wallet = walletOf(env, readerId);
  await tryWallet('void', () => wallet.void(holdId));
  await tryWallet<RefundResult>('refund', () => wallet.refund(holdId, 'charge not confirmed'));
}
