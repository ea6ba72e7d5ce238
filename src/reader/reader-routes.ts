import { Hono } from 'hono';
import { AppError } from '../http/app-error';
import { csvAnswer, MAX_CSV_ROWS, wantsCsv } from '../pages/history-text';
import { createMiddleware } from 'hono/factory';
import { z } from 'zod';
import { micros } from '../money';
import type { AppEnv } from '../http/app-types';
import { validated } from '../http/json-errors';
import { walletOf } from '../wallet/wallet-stub';
import { hasWalletHost, walletOrigin } from '../http/hosts';
import { liveCredential, mayManageWallet } from './authenticate';
import { createReader } from './create-reader';

const UNAUTHORIZED = 'A valid reader token is required (Authorization: Bearer <token> or the paywall cookie).';

/** Any live credential: reading the balance is something a publisher host's cookie may do. */
export const requireReader = createMiddleware<AppEnv>(async (c, next) => {
  const presented = await liveCredential(c);
  if (!presented) throw new AppError('unauthorized', UNAUTHORIZED);
  c.set('readerId', presented.credential.readerId);
  await next();
});

/**
 * A credential that may change the wallet or read its history: on the wallet host, or a
 * reader token sent as a bearer. A publisher host's cookie and its spend tokens are a 403
 * that says where the wallet is, so no page or script on a publisher's domain can lift a
 * cap, move money or read what the reader read elsewhere.
 */
export const requireWalletOwner = createMiddleware<AppEnv>(async (c, next) => {
  const presented = await liveCredential(c);
  if (!presented) throw new AppError('unauthorized', UNAUTHORIZED);
  if (!mayManageWallet(c, presented)) {
    const where = hasWalletHost(c.env) ? ` on ${walletOrigin(c.env, c.req.url)}` : '';
    throw new AppError(
      'wallet_host_only',
      `This credential can only view and pay. Settings, top-ups and history are managed in the wallet${where}.`,
    );
  }
  c.set('readerId', presented.credential.readerId);
  await next();
});

export const readerRoutes = new Hono<AppEnv>()
  .post('/readers', async (c) => {
    const reader = await createReader(c);
    if (!reader) throw new AppError('not_configured', 'TOKEN_SECRET is not set on this worker.');
    return c.json(reader, 201);
  })
  .get('/me', requireReader, async (c) => c.json(await walletOf(c.env, c.var.readerId).summary()))
  .put('/me/settings', requireWalletOwner, validated('json', z.strictObject({ dailyCapMicros: micros.nullable() })), async (c) =>
    c.json(await walletOf(c.env, c.var.readerId).setDailyCap(c.req.valid('json').dailyCapMicros)),
  )
  .get(
    '/me/ledger',
    requireWalletOwner,
    validated(
      'query',
      z.object({
        limit: z.coerce.number().int().min(1).max(200).default(50),
        before: z.coerce.number().int().positive().optional(),
      }),
    ),
    async (c) => {
      const { limit, before } = c.req.valid('query');
      // The same history as CSV for a person's spreadsheet: all of it (the newest 10,000) unless a page is asked for.
      if (wantsCsv(c.req.header('accept'))) {
        const all = c.req.query('limit') === undefined;
        const page = await walletOf(c.env, c.var.readerId).ledger(all ? MAX_CSV_ROWS : limit, before);
        return csvAnswer(c, page.entries);
      }
      return c.json(await walletOf(c.env, c.var.readerId).ledger(limit, before));
    },
  )
  .post(
    '/dev/topup',
    async (c, next) => (c.env.DEV_TOPUP === 'true' ? next() : c.notFound()),
    requireWalletOwner,
    validated('json', z.strictObject({ amountMicros: micros })),
    async (c) => {
      const result = await walletOf(c.env, c.var.readerId).credit({
        type: 'topup',
        amountMicros: c.req.valid('json').amountMicros,
        reason: 'dev top-up',
      });
      if (!result.ok) throw new AppError(result.reason, 'The top-up would take the balance over its limit.', { field: 'amountMicros' });
      return c.json({ balanceMicros: result.balanceMicros });
    },
  );
