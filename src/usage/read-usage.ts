import { usageKey } from '../storage/kv-keys';
import { usageSummarySchema, type UsageSummary } from './usage-summary';
import { daysBetween } from './utc-days';

/** KV reads up to this many keys in one call. */
const KEYS_PER_READ = 100;

export type UsageCounts = { views: number; paidViews: number; revenueMicros: number };
export type UsageDay = { date: string } & UsageCounts;
export type UsageRange = { host: string; days: UsageDay[]; totals: UsageCounts };

export type ReadUsageResult = { ok: true; usage: UsageRange } | { ok: false; date: string };

export type ReadSummariesResult = { ok: true; summaries: Map<string, UsageSummary | null> } | { ok: false; date: string };

/** Each day's KV summary from `from` to `to` (both included), null for a day without one; a summary that is not valid is reported. */
export async function readSummaries(kv: KVNamespace, host: string, from: string, to: string): Promise<ReadSummariesResult> {
  const dates = daysBetween(from, to);
  const summaries = new Map<string, UsageSummary | null>();
  for (let i = 0; i < dates.length; i += KEYS_PER_READ) {
    const batch = dates.slice(i, i + KEYS_PER_READ);
    const texts = await kv.get(
      batch.map((date) => usageKey(host, date)),
      'text',
    );
    for (const date of batch) {
      const text = texts.get(usageKey(host, date)) ?? null;
      if (text === null) {
        summaries.set(date, null);
        continue;
      }
      const parsed = usageSummarySchema.safeParse(safeJson(text));
      if (!parsed.success) return { ok: false, date };
      summaries.set(date, parsed.data);
    }
  }
  return { ok: true, summaries };
}

/**
 * A site's usage for each day from `from` to `to` (both included), from the KV summaries.
 * A day without a summary had no views and is listed with zeros, so the series has no
 * gaps. A summary that is not a valid document is reported, never read as zero.
 */
export async function readUsage(kv: KVNamespace, host: string, from: string, to: string): Promise<ReadUsageResult> {
  const read = await readSummaries(kv, host, from, to);
  if (!read.ok) return read;

  const days: UsageDay[] = [];
  const totals: UsageCounts = { views: 0, paidViews: 0, revenueMicros: 0 };
  for (const [date, summary] of read.summaries) {
    const counts: UsageCounts = summary
      ? { views: summary.views, paidViews: summary.paidViews, revenueMicros: summary.revenueMicros }
      : { views: 0, paidViews: 0, revenueMicros: 0 };
    days.push({ date, ...counts });
    totals.views += counts.views;
    totals.paidViews += counts.paidViews;
    totals.revenueMicros += counts.revenueMicros;
  }
  return { ok: true, usage: { host, days, totals } };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
