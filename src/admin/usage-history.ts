import { z } from 'zod';
import { usageKey } from '../storage/kv-keys';

/**
 * A site's usage summaries for the console's chart, read straight from KV
 * (`usage:<host>:<YYYY-MM-DD>`, written by the usage aggregator). Read tolerantly: a day
 * without a summary had no views, a field that is not a count reads as zero, an
 * unreadable document is counted (and shown) as such instead of failing the page.
 */
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).catch(0);
const topPath = z.object({ path: z.string().max(4096), paidViews: count.optional(), revenueMicros: count });
const summary = z.object({
  views: count,
  paidViews: count,
  revenueMicros: count,
  topPaths: z.array(z.unknown()).catch([]).optional(),
});

export type UsageDay = { date: string; views: number; paidViews: number; revenueMicros: number };
export type PathEarnings = { path: string; paidViews: number; revenueMicros: number };
export type UsageHistory = {
  days: UsageDay[];
  totals: { views: number; paidViews: number; revenueMicros: number };
  topPaths: PathEarnings[];
  unreadableDays: string[];
};

const DAY_MS = 86_400_000;
export const MAX_RANGE_DAYS = 366;
const KEYS_PER_GET = 100;

export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function isIsoDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(ms) && utcDay(ms) === text;
}

export function daysFrom(from: string, to: string): string[] {
  const out: string[] = [];
  for (let ms = Date.parse(`${from}T00:00:00Z`); utcDay(ms) <= to; ms += DAY_MS) out.push(utcDay(ms));
  return out;
}

export function addDays(day: string, n: number): string {
  return utcDay(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS);
}

export async function readUsageHistory(kv: KVNamespace, host: string, from: string, to: string, topN = 10): Promise<UsageHistory> {
  const dates = daysFrom(from, to);
  const texts = new Map<string, string | null>();
  for (let i = 0; i < dates.length; i += KEYS_PER_GET) {
    const keys = dates.slice(i, i + KEYS_PER_GET).map((d) => usageKey(host, d));
    for (const [key, text] of await kv.get(keys, 'text')) texts.set(key, text);
  }
  const days: UsageDay[] = [];
  const totals = { views: 0, paidViews: 0, revenueMicros: 0 };
  const byPath = new Map<string, PathEarnings>();
  const unreadableDays: string[] = [];
  for (const date of dates) {
    const text = texts.get(usageKey(host, date)) ?? null;
    const parsed = text === null ? null : summary.safeParse(parseJson(text));
    if (parsed && !parsed.success) unreadableDays.push(date);
    const s = parsed?.success ? parsed.data : { views: 0, paidViews: 0, revenueMicros: 0, topPaths: [] };
    days.push({ date, views: s.views, paidViews: s.paidViews, revenueMicros: s.revenueMicros });
    totals.views += s.views;
    totals.paidViews += s.paidViews;
    totals.revenueMicros += s.revenueMicros;
    for (const item of s.topPaths ?? []) {
      const p = topPath.safeParse(item);
      if (!p.success) continue;
      const sum = byPath.get(p.data.path) ?? { path: p.data.path, paidViews: 0, revenueMicros: 0 };
      sum.paidViews += p.data.paidViews ?? 0;
      sum.revenueMicros += p.data.revenueMicros;
      byPath.set(p.data.path, sum);
    }
  }
  const topPaths = [...byPath.values()]
    .sort((a, b) => b.revenueMicros - a.revenueMicros || b.paidViews - a.paidViews || a.path.localeCompare(b.path))
    .slice(0, topN);
  return { days, totals, topPaths, unreadableDays };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
