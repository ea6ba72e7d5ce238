import { Hono, type Context } from 'hono';
import { AppError } from '../http/app-error';
import { z } from 'zod';
import type { AppEnv } from '../http/app-types';
import { idempotencyKeyOf } from '../http/idempotency-key';
import { validated } from '../http/json-errors';
import { isReaderId } from '../reader/reader-token';
import { transferBalance } from '../wallet/transfer-balance';
import { walletOf } from '../wallet/wallet-stub';
import { recordChange } from './audit-stub';

const readerId = z.string().refine(isReaderId, 'not a reader id');

/**
 * The transfer id of a move: the same Idempotency-Key from the same reader is the same
 * transfer, however often it is sent; hashed, so any key fits the wallet's id limit and
 * two readers' keys never meet on the receiver's side.
 */
async function transferIdOf(fromReaderId: string, key: string | null): Promise<string> {
  if (key === null) return `mv_${crypto.randomUUID()}`;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${fromReaderId}\n${key}`));
  return `mv_${Buffer.from(digest).toString('base64url')}`;
}

export type Moved = { movedMicros: number; fromBalanceMicros: number; toBalanceMicros: number; transferId: string };

/**
 * The operator moves everything a reader has free to another reader, e.g. to merge two
 * accounts of one person: the transfer between wallets (never a copy), once per
 * Idempotency-Key, audited. The API route and the console's reader page both call this;
 * a move that cannot be made is an AppError (with the field at fault), and nothing moved.
 */
export async function moveBalance(
  c: Context<AppEnv>,
  args: { fromReaderId: string; toReaderId: string; reason: string; key: string | null },
): Promise<Moved> {
  const { fromReaderId, toReaderId, reason, key } = args;
  if (toReaderId === fromReaderId) {
    throw new AppError('same_reader', 'toReaderId: a reader’s money cannot be moved to the same reader.', { field: 'toReaderId' });
  }
  const from = walletOf(c.env, fromReaderId);
  const to = walletOf(c.env, toReaderId);
  const [fromExists, toExists] = await Promise.all([from.exists(), to.exists()]);
  if (!fromExists) throw new AppError('reader_not_found', 'No reader with this id.', { field: 'readerId' });
  if (!toExists) throw new AppError('reader_not_found', 'No reader with the id toReaderId.', { field: 'toReaderId' });

  const transferId = await transferIdOf(fromReaderId, key);
  const moved = await transferBalance(c.env, { fromReaderId, toReaderId, transferId });
  if (!moved.ok) {
    throw moved.reason === 'transfer_conflict'
      ? new AppError('idempotency_conflict', 'This Idempotency-Key was already used to move this reader’s money to another reader.')
      : new AppError(moved.reason, 'The move could not be made; nothing was moved.');
  }
  if (moved.state === 'returned') {
    throw new AppError('balance_limit', 'The move would take the receiver’s balance over its limit; the money stayed with the sender.', {
      field: 'toReaderId',
    });
  }
  const [fromBalanceMicros, toBalanceMicros] = (await Promise.all([from.summary(), to.summary()])).map((s) => s.balanceMicros) as [
    number,
    number,
  ];
  if (!moved.duplicate) {
    await recordChange(c, {
      action: 'reader.move',
      readerId: fromReaderId,
      before: JSON.stringify({
        fromBalanceMicros: fromBalanceMicros + moved.movedMicros,
        toBalanceMicros: toBalanceMicros - moved.movedMicros,
      }),
      after: JSON.stringify({ fromBalanceMicros, toBalanceMicros }),
      detail: { toReaderId, movedMicros: moved.movedMicros, reason, transferId, ...(key ? { idempotencyKey: key } : {}) },
    });
  }
  return { movedMicros: moved.movedMicros, fromBalanceMicros, toBalanceMicros, transferId };
}

export const moveRoutes = new Hono<AppEnv>().post(
  '/readers/:readerId/move',
  validated('param', z.object({ readerId })),
  validated('json', z.strictObject({ toReaderId: readerId, reason: z.string().trim().min(1).max(500) })),
  async (c) => {
    const { readerId: fromReaderId } = c.req.valid('param');
    const { toReaderId, reason } = c.req.valid('json');
    if (toReaderId === fromReaderId) {
      throw new AppError('same_reader', 'toReaderId: a reader’s money cannot be moved to the same reader.', { field: 'toReaderId' });
    }
    const key = idempotencyKeyOf(c);
    const moved = await moveBalance(c, { fromReaderId, toReaderId, reason, key });
    return c.json({
      movedMicros: moved.movedMicros,
      fromBalanceMicros: moved.fromBalanceMicros,
      toBalanceMicros: moved.toBalanceMicros,
      transferId: moved.transferId,
    });
  },
);
