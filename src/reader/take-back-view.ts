import { utcDay } from '../usage/utc-days';
import { log } from '../http/log';
import { walletOf } from '../wallet/wallet-stub';
import type { TakeBackViewResult } from '../wallet/wallet-types';
import { takeBackLogOf } from '../usage/take-back-log';
import type { TakeBackReason } from '../usage/take-back-reasons';

/**
 * A reader takes a view back. The wallet decides (window, allowance) and refunds in one
 * transaction; the refund row then leaves the publisher's usage through the ledger
 * outbox like any refund. The reason goes to the site's take-back log, once per receipt:
 * written before answering, and retried after the answer if that first write failed.
 */
export async function takeBackView(
  env: Env,
  waitUntil: (p: Promise<unknown>) => void,
  readerId: string,
  receipt: string,
  reason: TakeBackReason,
): Promise<TakeBackViewResult> {
  const result = await walletOf(env, readerId).takeBackView(receipt, reason);
  if (!result.ok || !result.host) return result;
  const entry = { receipt, day: utcDay(Date.now()), path: result.path, reason, amountMicros: result.amountMicros };
  const record = () => takeBackLogOf(env, result.host).record(entry);
  try {
    await record();
  } catch {
    waitUntil(
      new Promise((r) => setTimeout(r, 1000))
        .then(record)
        .catch((error) => log('error', 'take_back_log_not_recorded', { readerId, receipt, host: result.host, error })),
    );
  }
  return result;
}
