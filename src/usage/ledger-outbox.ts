import { FlushAlarm } from './flush-alarm';
import { log } from '../http/log';
import { usageOf } from './usage-stub';
import type { LedgerUsage } from './usage-types';

/** Ledger rows sent per flush round; a flush takes a few rounds at most. */
const BATCH_ROWS = 500;
const ROUNDS_PER_FLUSH = 10;

/** How a flush ended: everything sent, rows left beyond its rounds, or a delivery refused. */
type Delivery = 'done' | 'backlog' | 'failed';

/** A charge or refund not yet acknowledged by its site's aggregator. */
export type PendingUsage = { host: string; usage: LedgerUsage };

/**
 * What the outbox needs of a wallet's ledger, and all it sees of it: the charges and
 * refunds after the cursor, oldest first, and a way to move the cursor.
 */
export interface UsageLedger {
  pending(limit: number): PendingUsage[];
  acknowledge(seq: number): void;
}

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
    ctx: DurableObjectState,
    private readonly env: Env,
    private readonly ledger: UsageLedger,
  ) {
    this.alarm = new FlushAlarm(ctx, env);
    if (this.ledger.pending(1).length > 0) this.alarm.arm();
  }

  /** After a charge or refund is written, in the same synchronous turn. */
  written(): void {
    this.alarm.arm();
  }

  /** The wallet's alarm: deliver what is pending, and come back if anything is left. */
  async flush(readerId: string | null): Promise<void> {
    this.flushes += 1;
    this.flushing ??= this.deliver(readerId).finally(() => {
      this.flushing = null;
    });
    const run = this.flushing;
    let outcome: Delivery = 'failed';
    try {
      outcome = await run;
    } catch (e) {
      log('error', 'usage_outbox_flush_stopped', { outcome: 'the rows stay pending', error: e });
    }
    // A reader who charges faster than a flush delivers (a crawler) would fall further
    // behind every period; a backlog is sent on at once, a failure waits for the next slot.
    if (outcome === 'backlog') this.alarm.settleNow();
    else this.alarm.settle(this.ledger.pending(1).length > 0);
  }

  private async deliver(readerId: string | null): Promise<Delivery> {
    if (readerId === null) return 'done';
    for (let round = 0; round < ROUNDS_PER_FLUSH; round++) {
      const rows = this.ledger.pending(BATCH_ROWS);
      if (rows.length === 0) return 'done';
      const byHost = new Map<string, LedgerUsage[]>();
      for (const row of rows) {
        const entries = byHost.get(row.host) ?? [];
        entries.push(row.usage);
        byHost.set(row.host, entries);
      }
      this.deliveries += byHost.size;
      const results = await Promise.allSettled(
        [...byHost].map(([host, entries]) => usageOf(this.env, host).applyLedger(host, readerId, entries)),
      );
      const failed = results.filter((r) => r.status === 'rejected' || !r.value.ok);
      if (failed.length > 0) {
        log('error', 'usage_outbox_delivery_failed', {
          outcome: 'the rows stay pending',
          failures: failed.map((r) => (r.status === 'rejected' ? String(r.reason) : r.value)),
        });
        return 'failed';
      }
      this.ledger.acknowledge(rows[rows.length - 1]!.usage.seq);
      this.cursorRows += 1;
    }
    return this.ledger.pending(1).length > 0 ? 'backlog' : 'done';
  }

  /** Billable work done by this instance's flushes. */
  stats(): { alarmsSet: number; flushes: number; deliveries: number; cursorRows: number } {
    return { alarmsSet: this.alarm.alarmsSet, flushes: this.flushes, deliveries: this.deliveries, cursorRows: this.cursorRows };
  }
}
