import { Hono } from 'hono';
import { AppError } from '../http/app-error';
import { z } from 'zod';
import type { AppEnv } from '../http/app-types';
import { validated } from '../http/json-errors';
import { micros } from '../money';
import { isReaderId } from '../reader/reader-token';
import { walletOf } from '../wallet/wallet-stub';
import { idempotencyKeyOf } from '../http/idempotency-key';
import { recordChange } from './audit-stub';
import { adminIdempotencyKey } from '../storage/kv-keys';

export const creditRoutes = new Hono<AppEnv>().post(
  '/readers/:readerId/credit',
  validated('json', z.strictObject({ amountMicros: micros, reason: z.string().trim().min(1).max(500) })),
  async (c) => {
    const readerId = c.req.param('readerId');
    if (!isReaderId(readerId)) throw new AppError('reader_not_found', 'No reader with this id.');
    const key = idempotencyKeyOf(c);
    const { amountMicros, reason } = c.req.valid('json');
    const result = await walletOf(c.env, readerId).credit({
      type: 'credit',
      amountMicros,
      reason,
      ...(key ? { idempotencyKey: adminIdempotencyKey(key) } : {}),
    });
    if (!result.ok) {
      throw result.reason === 'no_such_reader'
        ? new AppError('reader_not_found', 'No reader with this id.')
        : new AppError('balance_limit', 'The credit would take the balance over its limit.', { field: 'amountMicros' });
    }
    if (!result.duplicate) {
      await recordChange(c, {
        action: 'reader.credit',
        readerId,
        before: JSON.stringify({ balanceMicros: result.balanceMicros - amountMicros }),
        after: JSON.stringify({ balanceMicros: result.balanceMicros }),
        detail: { amountMicros, reason, ...(key ? { idempotencyKey: key } : {}), entryId: result.entryId },
      });
    }
    return c.json({ balanceMicros: result.balanceMicros });
  },
);
