import { Hono } from 'hono';
import { AppError } from '../http/app-error';
import { z } from 'zod';
import type { AppEnv } from '../http/app-types';
import { validated } from '../http/json-errors';
import { micros } from '../money';
import { requireWalletOwner } from '../reader/reader-routes';
import { walletOf } from '../wallet/wallet-stub';
import { finishPendingWithdrawals, withdraw } from './withdraw';

/**
 * `GET /__paywall/api/me/withdrawable`: how much unspent card money can go back to the card.
 * `POST /__paywall/api/me/withdraw {"amountMicros"}`: refunds it through Stripe.
 */
export const withdrawRoutes = new Hono<AppEnv>()
  .get('/me/withdrawable', requireWalletOwner, async (c) => {
    c.executionCtx.waitUntil(finishPendingWithdrawals(c.env, c.var.readerId).catch(() => undefined));
    return c.json(await walletOf(c.env, c.var.readerId).withdrawable());
  })
  .post('/me/withdraw', requireWalletOwner, validated('json', z.strictObject({ amountMicros: micros })), async (c) => {
    const { amountMicros } = c.req.valid('json');
    if (amountMicros === 0 || amountMicros % 10_000 !== 0) {
      throw new AppError('invalid_request', 'amountMicros: a withdrawal is a whole number of cents, more than zero.', {
        field: 'amountMicros',
      });
    }
    const result = await withdraw(c.env, c.var.readerId, amountMicros);
    if (result.ok) return c.json(result);
    switch (result.reason) {
      case 'not_configured':
        throw new AppError('not_configured', 'STRIPE_SECRET_KEY is not set on this worker.');
      case 'no_such_reader':
        throw new AppError('reader_not_found', 'No reader with this id.');
      default:
        throw new AppError(
          'not_withdrawable',
          'amountMicros: more than the unspent money from card top-ups; demo top-ups and credits stay.',
          {
            field: 'amountMicros',
            extra: { withdrawableMicros: result.withdrawableMicros },
          },
        );
    }
  });
