import type { Context } from 'hono';
import type { AppEnv } from '../http/app-types';
import { log } from '../http/log';
import { walletOf } from '../wallet/wallet-stub';

/**
 * Everything a view does to give money back when the content was not delivered (the
 * contract: the origin fails, nothing is charged; a paid body the origin breaks off is
 * refunded). A view is charged before its origin answers (Wallet.charge), so each of
 * these is a second, rare request to the wallet. Each is safe to repeat (the wallet gives
 * a charge back at most once) and none of them throws: a wallet that cannot be reached is
 * asked again, and what still could not be given back is logged to be given back by hand.
 */

/** Asks again after these waits (ms): a wallet being reset is back within a second. */
const RETRY_WAITS_MS = [0, 200, 1000];

/**
 * The origin did not deliver a view this request charged, or the wallet's answer to the
 * charge was lost (it may or may not have been written): the charge is voided, and no
 * longer listed. A fresh stub each time, since a reset breaks the old one.
 */
export async function voidCharge(env: Env, readerId: string, receipt: string): Promise<void> {
  const given = await askWallet('void', { readerId, receipt }, async () => (await walletOf(env, readerId).void(receipt)).ok);
  if (!given) log('error', 'void_not_made', { readerId, receipt, action: 'refund it by hand' });
}

/**
 * `ask` until it says it is done, through a wallet briefly away; false if it never did.
 * Every call that gives money back or reports it (void, refund, a lease's batch) retries so.
 */
export async function askWallet(call: string, about: Record<string, unknown>, ask: () => Promise<boolean>): Promise<boolean> {
  for (const waitMs of RETRY_WAITS_MS) {
    if (waitMs > 0) await scheduler.wait(waitMs);
    try {
      if (await ask()) return true;
    } catch (e) {
      log('error', 'wallet_call_failed', { call, ...about, error: e });
    }
  }
  return false;
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
  /** For a view spent from a lease: drops it from its batch if not yet reported (then nothing was charged). */
  dropUnreported?: () => boolean,
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
      if (dropUnreported?.()) return;
      // The refund is idempotent per receipt, so asking a wallet that was briefly away again is safe.
      const refund = async () => (await walletOf(c.env, readerId).refund(receipt, 'content not delivered')).ok;
      if (await askWallet('refund', { readerId, receipt }, refund)) return;
      log('error', 'refund_not_made', { readerId, receipt, action: 'credit it by hand' });
    }),
  );
  return readable;
}
