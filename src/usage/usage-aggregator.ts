import { MigratedObject } from '../storage/migrated-object';
import { log } from '../http/log';
import { CountedSql } from '../storage/counted-sql';
import { usageKey } from '../storage/kv-keys';
import { FlushAlarm } from './flush-alarm';
import { TOP_PATHS, type UsageSummary } from './usage-summary';
import { usageSchema } from './usage-schema';
import type { ApplyLedgerResult, CountViewResult, LedgerUsage } from './usage-types';
import { addDays, isIsoDay, utcDay } from './utc-days';

/** Paid paths are kept per day this long, then only the day's final top list. */
const PATH_RETENTION_DAYS = 35;
/** Days written to KV per flush, far below a Worker's subrequest limit. */
const DAYS_PER_FLUSH = 50;

type DayRow = {
  day: string;
  views: number;
  paid_views: number;
  revenue: number;
  refunds: number;
  refunded: number;
  version: number;
  top: string | null;
};
type TopPath = UsageSummary['topPaths'][number];

/**
 * One site's usage: the only owner of its counts, and the only writer of its
 * `usage:<host>:<day>` KV documents. Every event carries an id it is deduplicated by
 * (a reader's ledger seq, or a view's random id) in the same transaction that counts it,
 * so a delivery repeated after a lost answer is counted once. KV is written on an alarm,
 * a whole day's document at a time, so a repeated write is harmless.
 */
export class UsageAggregator extends MigratedObject {
  /** Every statement after the schema goes through it, so that the rows written are counted. */
  private readonly db: CountedSql;
  private readonly flushAlarm: FlushAlarm;
  private flushes = 0;
  private kvWrites = 0;
  /** Written by the first call: the site's host, which the object's id cannot give back. */
  private host: string | null;
  private prunedOn: string | null = null;
  private flushing: Promise<void> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, usageSchema);
    this.db = new CountedSql(ctx.storage.sql);
    this.host = this.db.all<{ value: string }>("SELECT value FROM meta WHERE key = 'host'")[0]?.value ?? null;
    this.flushAlarm = new FlushAlarm(ctx, env);
    if (this.dirtyDayExists()) this.flushAlarm.arm();
  }

  /**
   * Paid views and refunds from one reader's ledger, in seq order. Rows at or below the
   * highest seq already counted for this reader are repeats and are skipped.
   */
  applyLedger(host: string, readerId: string, entries: LedgerUsage[]): ApplyLedgerResult {
    if (!validLedgerBatch(entries)) return { ok: false, reason: 'invalid_batch' };
    let applied = 0;
    this.ctx.storage.transactionSync(() => {
      this.rememberHost(host);
      const last = this.db.all<{ seq: number }>('SELECT seq FROM reader_seqs WHERE reader_id = ?', readerId)[0]?.seq ?? 0;
      const fresh = entries.filter((e) => e.seq > last);
      if (fresh.length === 0) return;

      const perDay = new Map<string, { views: number; revenue: number; paths: Map<string, { views: number; revenue: number }> }>();
      for (const e of fresh) {
        const sign = e.kind === 'charge' ? 1 : -1;
        const day = perDay.get(e.day) ?? { views: 0, revenue: 0, paths: new Map() };
        day.views += sign;
        day.revenue += sign * e.amountMicros;
        const path = day.paths.get(e.path) ?? { views: 0, revenue: 0 };
        path.views += sign;
        path.revenue += sign * e.amountMicros;
        day.paths.set(e.path, path);
        perDay.set(e.day, day);
      }
      for (const [day, d] of perDay) {
        const frozen = this.addToDay(day, d.views, d.views, d.revenue);
        if (frozen) continue;
        for (const [path, p] of d.paths) {
          this.db.all(
            `INSERT INTO day_paths (day, path, paid_views, revenue) VALUES (?, ?, ?, ?)
             ON CONFLICT (day, path) DO UPDATE SET paid_views = paid_views + excluded.paid_views, revenue = revenue + excluded.revenue`,
            day,
            path,
            p.views,
            p.revenue,
          );
        }
      }
      // Refunds are also kept apart, for statements (their day row exists: addToDay made it).
      for (const e of fresh) {
        if (e.kind === 'refund')
          this.db.all('UPDATE days SET refunds = refunds + 1, refunded = refunded + ? WHERE day = ?', e.amountMicros, e.day);
      }
      this.db.all(
        'INSERT INTO reader_seqs (reader_id, seq) VALUES (?, ?) ON CONFLICT (reader_id) DO UPDATE SET seq = excluded.seq',
        readerId,
        fresh[fresh.length - 1]!.seq,
      );
      applied = fresh.length;
      this.flushAlarm.arm();
    });
    return { ok: true, applied };
  }

  /**
   * Views answered 2xx and charged nothing (free, or inside a re-view window), once per
   * event id. An isolate batches its views into one event, so `views` may be above 1.
   */
  countView(host: string, eventId: string, day: string, views = 1): CountViewResult {
    if (!/^[\w-]{8,64}$/.test(eventId) || !isIsoDay(day) || !Number.isSafeInteger(views) || views < 1) {
      return { ok: false, reason: 'invalid_view' };
    }
    let duplicate = true;
    this.ctx.storage.transactionSync(() => {
      this.rememberHost(host);
      const before = this.db.rowsWritten;
      this.db.all('INSERT OR IGNORE INTO view_events (id, day) VALUES (?, ?)', eventId, day);
      if (this.db.rowsWritten === before) return;
      duplicate = false;
      this.addToDay(day, views, 0, 0);
      this.flushAlarm.arm();
    });
    return { ok: true, duplicate };
  }

  /** Writes every day that changed since its last write to KV, then forgets what is no longer needed. */
  override async alarm(): Promise<void> {
    // One flush at a time: an older document must never land in KV after a newer one.
    this.flushes += 1;
    this.flushing ??= this.flush().finally(() => (this.flushing = null));
    try {
      await this.flushing;
      this.prune();
    } catch (e) {
      log('error', 'usage_flush_failed', { outcome: 'retried on the next alarm', error: e });
    }
    this.flushAlarm.settle(this.dirtyDayExists());
  }

  /** Billable work done by this instance: for tests and the bench's cost figures. */
  stats(): { rowsWritten: number; alarmsSet: number; flushes: number; kvWrites: number } {
    return { rowsWritten: this.db.rowsWritten, alarmsSet: this.flushAlarm.alarmsSet, flushes: this.flushes, kvWrites: this.kvWrites };
  }

  /** The counts as they stand, written to KV or not (for tests and operators). */
  days(): { date: string; views: number; paidViews: number; revenueMicros: number; dirty: boolean }[] {
    return this.db
      .all<DayRow & { flushed: number }>('SELECT day, views, paid_views, revenue, version, flushed, top FROM days ORDER BY day')
      .map((r) => ({ date: r.day, views: r.views, paidViews: r.paid_views, revenueMicros: r.revenue, dirty: r.version > r.flushed }));
  }

  private async flush(): Promise<void> {
    const host = this.host;
    if (host === null) return;
    const dirty = this.db.all<DayRow>(
      'SELECT day, views, paid_views, revenue, refunds, refunded, version, top FROM days WHERE version > flushed ORDER BY day LIMIT ?',
      DAYS_PER_FLUSH,
    );
    const updatedAt = new Date().toISOString();
    const writes = dirty.map(async (row) => {
      const summary: UsageSummary = {
        host,
        date: row.day,
        views: row.views,
        paidViews: row.paid_views,
        revenueMicros: row.revenue,
        refunds: row.refunds,
        refundedMicros: row.refunded,
        topPaths: row.top === null ? this.topPaths(row.day) : (JSON.parse(row.top) as TopPath[]),
        updatedAt,
      };
      this.kvWrites += 1;
      await this.env.KV.put(usageKey(host, row.day), JSON.stringify(summary));
      // Counts that arrived while the write was in flight raised the version: still dirty.
      this.db.all('UPDATE days SET flushed = ? WHERE day = ? AND flushed < ?', row.version, row.day, row.version);
    });
    const results = await Promise.allSettled(writes);
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length > 0)
      throw new AggregateError(
        failed.map((r) => (r as PromiseRejectedResult).reason),
        `${failed.length} day(s) not written`,
      );
  }

  /**
   * View ids are needed only while a retry of that view can still arrive (seconds); the
   * paths of old days are folded into the day's final top list. Once a day per instance:
   * the ids have no index by day, so each pass reads them all.
   */
  private prune(): void {
    const today = utcDay(Date.now());
    if (this.prunedOn === today) return;
    this.prunedOn = today;
    this.db.all('DELETE FROM view_events WHERE day < ?', addDays(today, -1));
    const old = this.db.all<{ day: string }>(
      'SELECT day FROM days WHERE day < ? AND top IS NULL AND version = flushed LIMIT 10',
      addDays(today, -PATH_RETENTION_DAYS),
    );
    for (const { day } of old) {
      this.ctx.storage.transactionSync(() => {
        this.db.all('UPDATE days SET top = ? WHERE day = ?', JSON.stringify(this.topPaths(day)), day);
        this.db.all('DELETE FROM day_paths WHERE day = ?', day);
      });
    }
  }

  private topPaths(day: string): TopPath[] {
    return this.db
      .all<{ path: string; paid_views: number; revenue: number }>(
        'SELECT path, paid_views, revenue FROM day_paths WHERE day = ? AND revenue > 0 ORDER BY revenue DESC, path LIMIT ?',
        day,
        TOP_PATHS,
      )
      .map((r) => ({ path: r.path, paidViews: r.paid_views, revenueMicros: r.revenue }));
  }

  /** Adds to a day's counts and marks it dirty; true when the day's paths are already folded away. */
  private addToDay(day: string, views: number, paidViews: number, revenue: number): boolean {
    const row = this.db.all<{ top: string | null }>(
      `INSERT INTO days (day, views, paid_views, revenue, version) VALUES (?, ?, ?, ?, 1)
         ON CONFLICT (day) DO UPDATE SET views = views + excluded.views, paid_views = paid_views + excluded.paid_views,
           revenue = revenue + excluded.revenue, version = version + 1
         RETURNING top`,
      day,
      views,
      paidViews,
      revenue,
    )[0];
    return row?.top != null;
  }

  private rememberHost(host: string): void {
    if (this.host === host) return;
    this.db.all("INSERT OR REPLACE INTO meta (key, value) VALUES ('host', ?)", host);
    this.host = host;
  }

  private dirtyDayExists(): boolean {
    return this.db.all('SELECT 1 FROM days WHERE version > flushed LIMIT 1').length > 0;
  }
}

function validLedgerBatch(entries: LedgerUsage[]): boolean {
  let last = 0;
  for (const e of entries) {
    if (!Number.isSafeInteger(e.seq) || e.seq <= last) return false;
    if (e.kind !== 'charge' && e.kind !== 'refund' && e.kind !== 'void') return false;
    if (!Number.isSafeInteger(e.amountMicros) || e.amountMicros < 0) return false;
    if (typeof e.path !== 'string' || !isIsoDay(e.day)) return false;
    last = e.seq;
  }
  return true;
}
