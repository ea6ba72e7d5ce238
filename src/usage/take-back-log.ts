import { MigratedObject } from '../storage/migrated-object';
import { takeBackLogSchema } from './take-back-log-schema';

export type TakeBack = { receipt: string; day: string; path: string; reason: string; amountMicros: number };
export type PathTakeBacks = { path: string; count: number; amountMicros: number; reasons: Record<string, number> };

/**
 * The views readers took back on one site, for its publisher: counts and reasons per
 * path. The money and the usage counts move through the wallet's ledger (a `refund`
 * row), exactly once; this is the why, recorded once per receipt.
 */
export class TakeBackLog extends MigratedObject {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, takeBackLogSchema);
  }

  record(t: TakeBack): { recorded: boolean } {
    const cursor = this.sql.exec(
      'INSERT OR IGNORE INTO take_backs (receipt, day, path, reason, amount) VALUES (?, ?, ?, ?, ?)',
      t.receipt,
      t.day,
      t.path,
      t.reason,
      t.amountMicros,
    );
    return { recorded: cursor.rowsWritten > 0 };
  }

  /** Per path, most taken back first, for the days from `from` to `to` (both included). */
  byPath(from: string, to: string): PathTakeBacks[] {
    const rows = this.sql
      .exec<{ path: string; reason: string; n: number; amount: number }>(
        'SELECT path, reason, COUNT(*) AS n, SUM(amount) AS amount FROM take_backs WHERE day >= ? AND day <= ? GROUP BY path, reason',
        from,
        to,
      )
      .toArray();
    const paths = new Map<string, PathTakeBacks>();
    for (const r of rows) {
      const p = paths.get(r.path) ?? { path: r.path, count: 0, amountMicros: 0, reasons: {} };
      p.count += r.n;
      p.amountMicros += r.amount;
      p.reasons[r.reason] = r.n;
      paths.set(r.path, p);
    }
    return [...paths.values()].sort((a, b) => b.count - a.count || a.path.localeCompare(b.path));
  }
}

export function takeBackLogOf(env: Env, host: string) {
  return env.TAKE_BACK_LOG.get(env.TAKE_BACK_LOG.idFromName(host));
}
