import { buildStatement } from './statement';
import type { Payout, Publisher } from './publisher-types';
import { publisherRegistry } from './publisher-stub';

export type Owed = {
  publisherId: string;
  /** Net owed by every monthly statement from the month the publisher was created through `month` (in progress). */
  accruedMicros: number;
  paidMicros: number;
  /** Accrued minus paid: what the operator still owes (negative if it paid ahead). */
  owedMicros: number;
  months: { month: string; netOwedMicros: number }[];
  payouts: Payout[];
};

export type OwedResult = { ok: true; owed: Owed } | { ok: false; host: string; date: string };

function monthsFrom(first: string, last: string): string[] {
  const months: string[] = [];
  for (let m = first; m <= last; m = nextMonth(m)) months.push(m);
  return months;
}

function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

/** What the operator owes a publisher: its statements' net owed, month by month, less the payouts recorded. */
export async function amountOwed(env: Env, publisher: Publisher, bps: number, currentMonth: string): Promise<OwedResult> {
  const months: Owed['months'] = [];
  for (const month of monthsFrom(publisher.createdAt.slice(0, 7), currentMonth)) {
    const built = await buildStatement(env.KV, publisher, month, bps);
    if (!built.ok) return { ok: false, host: built.host, date: built.date };
    months.push({ month, netOwedMicros: built.statement.totals.netOwedMicros });
  }
  const payouts = await publisherRegistry(env).payouts(publisher.publisherId);
  const accruedMicros = months.reduce((n, m) => n + m.netOwedMicros, 0);
  const paidMicros = payouts.reduce((n, p) => n + p.amountMicros, 0);
  return {
    ok: true,
    owed: { publisherId: publisher.publisherId, accruedMicros, paidMicros, owedMicros: accruedMicros - paidMicros, months, payouts },
  };
}
