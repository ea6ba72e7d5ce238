import { FlushAlarm } from './flush-alarm';
import { usageOf } from './usage-stub';
import type { LedgerUsage } from './usage-types';
import { utcDay } from './utc-days';

/** Ledger rows sent per flush round; a flush takes a few rounds at most. */
const BATCH_ROWS = 500;
const ROUNDS_PER_FLUSH = 10;
const CURSOR_KEY = 'usage_cursor';

/** How a flush ended: everything sent, rows left beyond its rounds, or a delivery refused. */
type Delivery = 'done' | 'backlog' | 'failed';

type UsageRow = { seq: number; type: 'charge' | 'refund'; amount: number; at: number; host: string; path: string | null; idem: string | null };

/**
 * A wallet's ledger used as the outbox of its usage events: each charge and refund row
 * is the event, written in the same transaction as the money. A cursor (the last seq
 * every aggregator has acknowledged) is advanced only after they have, so a wallet that
 * stops anywhere in a flush sends the same rows again, and the aggregators, which keep
 * the highest seq they counted per reader, skip the repeats.
 */
export class LedgerOutbox {
  private readonly alarm: FlushAlarm;
  private flushing: Promise<Delivery> | null = null;
  private flushes = 0;
  private deliveries = 0;
  private cursorRows = 0;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Env,
    /** The wallet's own writer, so that the bench's row count includes the cursor. */
    private readonly write: (query: string, ...params: unknown[]) => void,
  ) {
    this.alarm = new FlushAlarm(ctx, env);
    if (this.pending(1).length > 0) this.alarm.arm();
  }

  /** After a charge or refund is written, in the same synchronous turn. */
  written(): void {
    this.alarm.arm();
  }

  /** The wallet's alarm: deliver what is pending, and come back if anything is left. */
  async flush(readerId: string | null): Promise<void> {
    this.flushes += 1;
    const run = (this.flushing ??= this.deliver(readerId).finally(() => (this.flushing = null)));
    let outcome: Delivery = 'failed';
    try {
      outcome = await run;
    } catch (e) {
      console.error('usage: flush stopped; the rows stay pending', String(e));
    }
    // A reader who charges faster than a flush delivers (a crawler) would fall further
    // behind every period; a backlog is sent on at once, a failure waits for the next slot.
    if (outcome === 'backlog') this.alarm.settleNow();
    else this.alarm.settle(this.pending(1).length > 0);
  }

  private async deliver(readerId: string | null): Promise<Delivery> {
    if (readerId === null) return 'done';
    for (let round = 0; round < ROUNDS_PER_FLUSH; round++) {
      const rows = this.pending(BATCH_ROWS);
      if (rows.length === 0) return 'done';
      const byHost = new Map<string, LedgerUsage[]>();
      for (const row of rows) {
        const entries = byHost.get(row.host) ?? [];
        entries.push(this.toUsage(row));
        byHost.set(row.host, entries);
      }
      this.deliveries += byHost.size;
      const results = await Promise.allSettled(
        [...byHost].map(([host, entries]) => usageOf(this.env, host).applyLedger(host, readerId, entries)),
      );
      const failed = results.filter((r) => r.status === 'rejected' || !r.value.ok);
      if (failed.length > 0) {
        console.error('usage: delivery failed; the rows stay pending', failed.map((r) => (r.status === 'rejected' ? String(r.reason) : JSON.stringify(r.value))));
        return 'failed';
      }
      this.write(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        CURSOR_KEY, rows[rows.length - 1]!.seq,
      );
      this.cursorRows += 1;
    }
    return this.pending(1).length > 0 ? 'backlog' : 'done';
  }

  /** Billable work done by this instance's flushes. */
  stats(): { alarmsSet: number; flushes: number; deliveries: number; cursorRows: number } {
    return { alarmsSet: this.alarm.alarmsSet, flushes: this.flushes, deliveries: this.deliveries, cursorRows: this.cursorRows };
  }

  private cursor(): number {
    const row = this.ctx.storage.sql.exec<{ value: number }>('SELECT value FROM meta WHERE key = ?', CURSOR_KEY).toArray()[0];
    return row?.value ?? 0;
  }

  private pending(limit: number): UsageRow[] {
    return this.ctx.storage.sql
      .exec<UsageRow>(
        "SELECT seq, type, amount, at, host, path, idem FROM ledger WHERE seq > ? AND type IN ('charge','refund') AND host IS NOT NULL ORDER BY seq LIMIT ?",
        this.cursor(), limit,
      )
      .toArray();
  }

  /** A refund counts against the day of the charge it reverses, where the view was counted. */
  private toUsage(row: UsageRow): LedgerUsage {
    let at = row.at;
    if (row.type === 'refund' && row.idem?.startsWith('refund:')) {
      const charge = this.ctx.storage.sql
        .exec<{ at: number }>("SELECT at FROM ledger WHERE id = ? AND type = 'charge'", row.idem.slice('refund:'.length))
        .toArray()[0];
      if (charge) at = charge.at;
    }
    return { seq: row.seq, kind: row.type, amountMicros: row.amount, path: row.path ?? '', day: utcDay(at) };
  }
}
