import { Hono } from 'hono';
import { AppError } from '../http/app-error';
import { z } from 'zod';
import type { AppEnv } from '../http/app-types';
import { validated } from '../http/json-errors';
import { TAKE_BACK_REASONS, isTakeBackReason } from '../usage/take-back-reasons';
import { TAKE_BACK_WINDOW_MS } from '../wallet/view-take-backs';
import { walletOf } from '../wallet/wallet-stub';
import { requireWalletOwner } from './reader-routes';
import { takeBackView } from './take-back-view';

const reasonField = z.string().refine(isTakeBackReason, { message: `must be one of ${Object.keys(TAKE_BACK_REASONS).join(', ')}` });

/**
 * `POST /__paywall/api/me/ledger/:receipt/take-back {"reason"}`: the reader takes a view back.
 * `GET /__paywall/api/me/take-backs`: how many are left this month.
 */
export const takeBackRoutes = new Hono<AppEnv>()
  .get('/me/take-backs', requireWalletOwner, async (c) => {
    const allowance = await walletOf(c.env, c.var.readerId).takeBackAllowance();
    return c.json({ ...allowance, left: Math.max(0, allowance.allowed - allowance.used), windowSeconds: TAKE_BACK_WINDOW_MS / 1000 });
  })
  .post('/me/ledger/:receipt/take-back', requireWalletOwner, validated('json', z.strictObject({ reason: reasonField })), async (c) => {
    const receipt = c.req.param('receipt');
    if (receipt.length > 64) throw new AppError('no_such_charge', 'No charge with this receipt.');
    const reason = c.req.valid('json').reason;
    if (!isTakeBackReason(reason)) throw new AppError('invalid_request', 'reason: unknown', { field: 'reason' });
    const result = await takeBackView(c.env, (p) => c.executionCtx.waitUntil(p), c.var.readerId, receipt, reason);
    if (result.ok) return c.json({ balanceMicros: result.balanceMicros, entryId: result.entryId, duplicate: result.duplicate });
    switch (result.reason) {
      case 'no_such_charge':
        throw new AppError('no_such_charge', 'No charge with this receipt.');
      case 'too_late':
        throw new AppError('too_late', 'A view can be taken back only within 10 minutes of its charge.');
      case 'limit_reached':
        throw new AppError('limit_reached', `You have taken back ${result.used} views this month, the most allowed (${result.allowed}).`);
    }
  });
