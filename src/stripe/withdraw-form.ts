import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { NoticeKey } from '../pages/account-page';
import { parseUsdTypedByPeople } from '../money';
import { MICROS_PER_CENT, usdForPeople } from '../money';
import { withdraw } from './withdraw';

/** The account page's withdraw form: dollars typed by a person, answered with a notice or an error next to the field. */
export async function withdrawFromForm(
  env: Env,
  readerId: string,
  typed: string,
): Promise<{ notice: NoticeKey } | { error: string; status: ContentfulStatusCode }> {
  const amount = parseUsdTypedByPeople(typed);
  if (amount === null || amount === 0 || amount % MICROS_PER_CENT !== 0) {
    return { error: 'Enter an amount in dollars and whole cents, such as 4.50.', status: 400 };
  }
  const result = await withdraw(env, readerId, amount);
  if (!result.ok) {
    if (result.reason === 'not_configured') return { error: 'Refunds to a card are not available on this site yet.', status: 503 };
    return { error: `At most ${usdForPeople(result.withdrawableMicros)} can go back to your card now.`, status: 400 };
  }
  if (result.pendingMicros > 0) return { notice: 'withdrawal-pending' };
  if (result.returnedMicros > 0 && result.withdrawnMicros === 0) return { notice: 'withdrawal-returned' };
  return { notice: 'withdrawn' };
}
