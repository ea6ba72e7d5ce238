import type { Context } from 'hono';
import type { AppEnv } from '../http/app-types';
import { isCrossOriginSubrequest } from '../http/cors';
import { grantOf, presentedCredential } from './authenticate';
import type { Grant } from '../wallet/wallet-types';

export type ViewPayer = { readerId: string | null; grant: Grant | undefined };

/**
 * The reader a view is charged to, and the session or connection their token stands on
 * (the wallet refuses a revoked one when it reserves the price). A bearer token is the
 * client's own say-so wherever it comes from; the cookie counts only on a request the
 * reader's browser made for this site itself (or a navigation to it), never on one
 * another origin's page started.
 */
export async function payerOfView(c: Context<AppEnv>): Promise<ViewPayer> {
  if (c.req.header('authorization') === undefined && isCrossOriginSubrequest(c.req.raw)) return { readerId: null, grant: undefined };
  const presented = await presentedCredential(c);
  if (!presented) return { readerId: null, grant: undefined };
  return { readerId: presented.credential.readerId, grant: grantOf(presented.credential) };
}
