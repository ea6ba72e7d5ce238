import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { z } from 'zod';
import { micros } from '../money';
import type { AppEnv } from '../http/app-types';
import { jsonError, validated } from '../http/json-errors';
import { walletOf } from '../wallet/wallet-stub';
import { readerOf } from './authenticate';
import { createReader } from './create-reader';

export const requireReader = createMiddleware<AppEnv>(async (c, next) => {
  const readerId = await readerOf(c);
  if (!readerId) return jsonError(c, 401, 'unauthorized', 'A valid reader token is required (Authorization: Bearer <token> or the paywall cookie).');
  c.set('readerId', readerId);
  await next();
});

export const readerRoutes = new Hono<AppEnv>()
  .post('/readers', async (c) => {
    const reader = await createReader(c);
    if (!reader) return jsonError(c, 503, 'not_configured', 'TOKEN_SECRET is not set on this worker.');
    return c.json(reader, 201);
  })
  .get('/me', requireReader, async (c) => c.json(await walletOf(c.env, c.var.readerId).summary()))
  .put(
    '/me/settings',
    requireReader,
    validated('json', z.strictObject({ dailyCapMicros: micros.nullable() })),
    async (c) => c.json(await walletOf(c.env, c.var.readerId).setDailyCap(c.req.valid('json').dailyCapMicros)),
  )
  .get(
    '/me/ledger',
    requireReader,
    validated(
      'query',
      z.object({
        limit: z.coerce.number().int().min(1).max(200).default(50),
        before: z.coerce.number().int().positive().optional(),
      }),
    ),
    async (c) => {
      const { limit, before } = c.req.valid('query');
      return c.json(await walletOf(c.env, c.var.readerId).ledger(limit, before));
    },
  )
  .post('/dev/topup', async (c, next) => (c.env.DEV_TOPUP === 'true' ? next() : c.notFound()), requireReader,
    validated('json', z.strictObject({ amountMicros: micros })),
    async (c) => {
      const result = await walletOf(c.env, c.var.readerId).credit({
        type: 'topup',
        amountMicros: c.req.valid('json').amountMicros,
        reason: 'dev top-up',
      });
      if (!result.ok) return jsonError(c, 400, result.reason, 'The top-up would take the balance over its limit.', { field: 'amountMicros' });
      return c.json({ balanceMicros: result.balanceMicros });
    },
  );
