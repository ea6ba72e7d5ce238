import { transferBalance } from '../wallet/transfer-balance';
import { log } from '../http/log';

/**
 * A wallet made on a publisher host before the reader had one everywhere (its reader
 * token was that host's cookie): when the reader connects that host, its whole balance
 * moves into the signed-in wallet as one transfer. The id is new for each connect, so a
 * later top-up of the old wallet would move too; a step that fails is finished by the
 * old wallet's alarm, so no money waits on the reader coming back.
 */
export async function mergeCookieWallet(env: Env, fromReaderId: string, toReaderId: string): Promise<void> {
  await transferBalance(env, { fromReaderId, toReaderId, transferId: `merge_${crypto.randomUUID()}`, amountMicros: 'all' }).catch(
    (e: unknown) => {
      log('error', 'cookie_wallet_merge_unfinished', { fromReaderId, toReaderId, outcome: 'the sender alarm finishes it', error: e });
    },
  );
}
