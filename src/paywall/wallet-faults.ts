import { AppError } from '../http/app-error';
import { log } from '../http/log';

/**
 * A call to a reader's wallet on a view. It can fail for reasons that are nobody's fault:
 * the object was reset (a deploy, an eviction) or is overloaded. The view then answers
 * 503 `wallet_unavailable` and no money moves, rather than a 500.
 */
export async function callWallet<T>(what: string, call: () => PromiseLike<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    log('error', 'wallet_call_failed', { call: what, error: e });
    throw new AppError('wallet_unavailable', "The reader's wallet could not be reached; nothing was charged. Please retry.");
  }
}
