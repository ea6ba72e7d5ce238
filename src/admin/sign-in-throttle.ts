import type { Context } from 'hono';
import { clientOf } from '../http/client-address';

/** Every wrong admin token costs the caller this long before the answer, wherever it was presented. */
export const DEFAULT_WRONG_TOKEN_DELAY_MS = 1000;

export function slowDownWrongToken(env: Env): Promise<void> {
  const ms = Number(env.WRONG_ADMIN_TOKEN_DELAY_MS ?? DEFAULT_WRONG_TOKEN_DELAY_MS);
  return scheduler.wait(Number.isFinite(ms) && ms >= 0 ? ms : DEFAULT_WRONG_TOKEN_DELAY_MS);
}

/**
 * Sign-in attempts per client, through Cloudflare's rate limiting binding (shared by every
 * isolate of a location, unlike a counter in memory): true while the client is under the limit.
 */
export async function signInAllowed(c: Context): Promise<boolean> {
  const { success } = await (c.env as Env).ADMIN_SIGN_IN_LIMIT.limit({ key: `admin-sign-in:${clientOf(c)}` });
  return success;
}
