import { Hono } from 'hono';
import { AppError } from '../http/app-error';
import { z } from 'zod';
import type { AppEnv } from '../http/app-types';
import { validated } from '../http/json-errors';
import { micros } from '../money';
import { requireWalletOwner } from '../reader/reader-routes';
import { isGrantId, issueNamedToken } from '../reader/reader-token';
import { walletOf } from '../wallet/wallet-stub';
import { tokenName } from './token-name';

/**
 * `/__paywall/api/me/tokens`: bearer tokens a reader makes for their own scripts, each
 * with a name and its own daily cap, revocable one by one. Only the wallet's owner (the
 * wallet host's session, or the reader token) makes them; a token made here can view and
 * pay on every host but cannot make more tokens or change anything.
 */
export const namedTokenRoutes = new Hono<AppEnv>()
  .use('*', requireWalletOwner)
  .get('/', async (c) => c.json({ tokens: await walletOf(c.env, c.var.readerId).namedTokens() }))
  .post('/', validated('json', z.strictObject({ name: tokenName, dailyCapMicros: micros.nullable() })), async (c) => {
    const { name, dailyCapMicros } = c.req.valid('json');
    const added = await walletOf(c.env, c.var.readerId).addNamedToken(name, dailyCapMicros);
    // A wallet gone from under a live credential (no_such_reader) is answered as a full one is: 409.
    if (!added.ok) throw new AppError(added.reason, 'This wallet has as many tokens as it may: revoke one first.', { status: 409 });
    const token = await issueNamedToken(c.env, c.var.readerId, added.tokenId);
    return c.json({ tokenId: added.tokenId, token, name, dailyCapMicros }, 201);
  })
  .delete('/:id', async (c) => {
    const id = c.req.param('id');
    if (!isGrantId(id)) throw new AppError('invalid_request', 'No such token id.', { field: 'id' });
    await walletOf(c.env, c.var.readerId).revokeNamedToken(id);
    return c.body(null, 204);
  });
