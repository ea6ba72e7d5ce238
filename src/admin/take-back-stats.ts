import { takeBackLogOf, type PathTakeBacks } from '../usage/take-back-log';
import { utcDay } from '../usage/utc-days';

export const TAKE_BACK_DAYS = 30;

/** The last 30 UTC days of a site's take-backs, per path. */
export async function recentTakeBacks(env: Env, host: string): Promise<{ from: string; to: string; paths: PathTakeBacks[] }> {
  const to = utcDay(Date.now());
  const from = utcDay(Date.now() - (TAKE_BACK_DAYS - 1) * 86_400_000);
  return { from, to, paths: await takeBackLogOf(env, host).byPath(from, to) };
}
