import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/app-types';
import { AppError } from '../http/app-error';
import { validated } from '../http/json-errors';
import { isReaderId } from '../reader/reader-token';
import { walletOf } from '../wallet/wallet-stub';
import { recordChange } from './audit-stub';

const notFound = () => new AppError('reader_not_found', 'No reader with this id.');

/**
 * Reader support, the operator's alone (admin-scope.ts refuses publisher keys): a
 * reader's balance and settings, and their ledger. A reader's money history is personal,
 * so every look is written to the audit log, like a change.
 */
export const readerSupportRoutes = new Hono<AppEnv>()
  .get('/readers/:readerId', async (c) => {
    const readerId = c.req.param('readerId');
    if (!isReaderId(readerId)) throw notFound();
    const wallet = walletOf(c.env, readerId);
    if (!(await wallet.exists())) throw notFound();
    const summary = await wallet.summary();
    await recordChange(c, { action: 'reader.lookup', readerId, before: null, after: null, detail: { looked_at: 'balance' } });
    return c.json(summary);
  })
  .get(
    '/readers/:readerId/ledger',
    validated(
      'query',
      z.object({ limit: z.coerce.number().int().min(1).max(200).default(50), before: z.coerce.number().int().positive().optional() }),
    ),
    async (c) => {
      const readerId = c.req.param('readerId');
      if (!isReaderId(readerId)) throw notFound();
      const wallet = walletOf(c.env, readerId);
      if (!(await wallet.exists())) throw notFound();
      const { limit, before } = c.req.valid('query');
      const page = await wallet.ledger(limit, before);
      await recordChange(c, {
        action: 'reader.lookup',
        readerId,
        before: null,
        after: null,
        detail: { looked_at: 'ledger', limit, before: before ?? null },
      });
      return c.json(page);
    },
  );
