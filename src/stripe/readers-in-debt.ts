import { debtKey, KV_PREFIXES, readerOfDebtKey } from '../storage/kv-keys';
import { walletOf } from '../wallet/wallet-stub';
const MAX_LISTED = 500;

export type ReaderInDebt = { readerId: string; balanceMicros: number; since: string };

/**
 * Marks a reader as in debt. Only a reversal makes a debt, and only the webhook makes
 * reversals, so this is the one place to call; the mark is cleared when the list is
 * read and the wallet shows the debt paid.
 */
export async function noteDebt(env: Env, readerId: string, balanceMicros: number): Promise<void> {
  if (balanceMicros >= 0) return;
  const existing = await env.KV.get<{ since: string }>(debtKey(readerId), 'json');
  await env.KV.put(debtKey(readerId), JSON.stringify({ since: existing?.since ?? new Date().toISOString() }));
}

/** Readers in debt now, deepest first: each mark checked against the wallet itself. */
export async function readersInDebt(env: Env): Promise<ReaderInDebt[]> {
  const marks: { readerId: string }[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.KV.list({ prefix: KV_PREFIXES.debt, ...(cursor ? { cursor } : {}) });
    marks.push(...page.keys.map((k) => ({ readerId: readerOfDebtKey(k.name) })));
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor && marks.length < MAX_LISTED);
  const found = await Promise.all(
    marks.map(async ({ readerId }) => {
      const [summary, mark] = await Promise.all([
        walletOf(env, readerId).summary(),
        env.KV.get<{ since: string }>(debtKey(readerId), 'json'),
      ]);
      if (summary.balanceMicros >= 0) {
        await env.KV.delete(debtKey(readerId));
        return null;
      }
      return { readerId, balanceMicros: summary.balanceMicros, since: mark?.since ?? '' };
    }),
  );
  return found.filter((r): r is ReaderInDebt => r !== null).sort((a, b) => a.balanceMicros - b.balanceMicros);
}
