import type { Context } from 'hono';
import { AppError } from '../http/app-error';
import type { AppEnv } from '../http/app-types';
import { log } from '../http/log';
import { walletOf } from '../wallet/wallet-stub';
import type { CommitResult } from '../wallet/wallet-types';

/**
 * Everything a view does to give money back when the content was not delivered (the
 * contract: the origin fails, nothing is charged; a paid body the origin breaks off is
 * refunded). Each step is safe to repeat (voiding a hold that is gone, refunding a receipt
 * already refunded, do nothing) and none of them throws: a wallet that cannot be reached
 * is logged, its hold runs out by itself, and a refund that could not be made is logged to
 * be made by hand.
 */

type WalletStub = ReturnType<typeof walletOf>;

/** The origin did not deliver: the held price is released. */
export async function releaseHold(wallet: WalletStub, holdId: string): Promise<void> {
  try {
    await wallet.void(holdId);
  } catch (e) {
    log('error', 'wallet_call_failed', { call: 'void', holdId, error: e });
  }
}

export type Committed = Extract<CommitResult, { ok: true }>;

/**
 * The origin answered 2xx: the held price becomes a charge. When the wallet cannot confirm
 * it (its answer was lost, or the hold ran out), the charge is undone, the origin's answer
 * dropped, and the view is a 503 `charge_not_settled`: the reader is not charged for
 * content they do not get.
 */
export async function commitOrUndo(env: Env, wallet: WalletStub, readerId: string, holdId: string, answer: Response): Promise<Committed> {
  let committed: CommitResult | null = null;
  try {
    committed = await wallet.commit(holdId);
  } catch (e) {
    log('error', 'wallet_call_failed', { call: 'commit', holdId, error: e });
    await undoUncertainCommit(env, readerId, holdId);
  }
  if (committed?.ok) return committed;
  await answer.body?.cancel();
  throw new AppError('charge_not_settled', 'The charge could not be settled in time; nothing was charged. Please retry.');
}

/**
 * A commit whose answer was lost may or may not have been written. So the hold is released
 * and the charge, if it was written, refunded: either way the reader is not charged. A
 * fresh stub, since a reset breaks the old one.
 */
async function undoUncertainCommit(env: Env, readerId: string, holdId: string): Promise<void> {
  const wallet = walletOf(env, readerId);
  await releaseHold(wallet, holdId);
  try {
    await wallet.refund(holdId, 'charge not confirmed');
  } catch (e) {
    log('error', 'wallet_call_failed', { call: 'refund', holdId, error: e });
  }
}

/**
 * A paid body as the reader gets it: if the origin breaks it off, the charge is refunded,
 * since the content was not delivered; a reader who closes the connection has been charged
 * (the contract), and a re-view window, where the rule has one, lets them load it again.
 */
export function refundIfOriginBreaksOff(
  c: Context<AppEnv>,
  body: ReadableStream<Uint8Array>,
  readerId: string,
  receipt: string,
): ReadableStream<Uint8Array> {
  // The runtime's own identity stream, not a JavaScript TransformStream: the pipe then runs
  // natively instead of one JavaScript step per chunk. It was a third of a paid view's
  // extra CPU in the bench (bench/RESULTS.md).
  const { readable, writable } = new IdentityTransformStream();
  // Aborted when the reader closes the connection (compatibility flag enable_request_signal).
  const hungUp = c.req.raw.signal;
  c.executionCtx.waitUntil(
    // preventAbort: the reader is told of an origin's break only after it has been judged.
    body.pipeTo(writable, { preventAbort: true }).catch(async (e) => {
      // Either side's failure fails the pipe, with the same error; only the origin's is
      // refunded. A reader who hung up was charged for what they chose to stop reading.
      if (hungUp.aborted) {
        log('info', 'reader_hung_up_on_paid_answer', { readerId, receipt });
        return;
      }
      await writable.abort(e).catch(() => {});
      log('warn', 'paid_body_broke_off', { readerId, receipt, error: e });
      // The refund is idempotent per receipt, so retrying a wallet that was briefly away is safe.
      for (const waitMs of [0, 200, 1000]) {
        await scheduler.wait(waitMs);
        try {
          const refunded = await walletOf(c.env, readerId).refund(receipt, 'content not delivered');
          if (refunded.ok) return;
        } catch (fault) {
          log('error', 'wallet_call_failed', { call: 'refund', receipt, error: fault });
        }
      }
      log('error', 'refund_not_made', { readerId, receipt, action: 'credit it by hand' });
    }),
  );
  return readable;
}
