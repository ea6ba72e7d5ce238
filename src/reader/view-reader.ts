import type { Context } from 'hono';
import type { AppEnv } from '../http/app-types';
import { isCrossOriginSubrequest } from '../http/cors';
import { readerOf } from './authenticate';

/**
 * The reader a view is charged to. A bearer token is the client's own say-so wherever it
 * comes from; the cookie counts only on a request the reader's browser made for this
 * site itself (or a navigation to it), never on one another origin's page started.
 */
export async function readerOfView(c: Context<AppEnv>): Promise<string | null> {
  if (c.req.header('authorization') === undefined && isCrossOriginSubrequest(c.req.raw)) return null;
  return readerOf(c);
}
