import { usageKey } from '../storage/kv-keys';
import { usageSummarySchema } from './usage-summary';
import { daysBetween } from './utc-days';

/** KV reads up to this many keys in one call. */
const KEYS_PER_READ = 100;

export type UsageCounts = { views: number; paidViews: number; revenueMicros: number };
export type UsageDay = { date: string } & UsageCounts;
export type UsageRange = { host: string; days: UsageDay[]; totals: UsageCounts };

export type ReadUsageResult = { ok: true; usage: UsageRange } | { ok: false; date: string };

/**
 * A site's usage for each day from `from` to `to` (both included), from the KV summaries.
 * A day without a summary had no views and is listed with zeros, so the series has no
 * gaps. A summary that is not a valid document is reported, never read as zero.
 */
export async function readUsage(kv: KVNamespace, host: string, from: string, to: string): Promise<ReadUsageResult> {
  const dates = daysBetween(from, to);
  const texts = new Map<string, string | null>();
  for (let i = 0; i < dates.length; i += KEYS_PER_READ) {
    const keys = dates.slice(i, i + KEYS_PER_READ).map((date) => usageKey(host, date));
    for (const [key, text] of await kv.get(keys, 'text')) texts.set(key, text);
  }

  const days: UsageDay[] = [];
  const totals: UsageCounts = { views: 0, paidViews: 0, revenueMicros: 0 };
  for (const date of dates) {
    const text = texts.get(usageKey(host, date)) ?? null;
    let counts: UsageCounts = { views: 0, paidViews: 0, revenueMicros: 0 };
    if (text !== null) {
      const parsed = usageSummarySchema.safeParse(safeJson(text));
      if (!parsed.success) return { ok: false, date };
      counts = { views: parsed.data.views, paidViews: parsed.data.paidViews, revenueMicros: parsed.data.revenueMicros };
    }
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
