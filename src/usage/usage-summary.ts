import { z } from 'zod';

/** How many paths a day's summary lists: the ones that earned most. */
export const TOP_PATHS = 20;

const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** The KV document `usage:<host>:<YYYY-MM-DD>`: one UTC day of one site, always whole. */
export const usageSummarySchema = z.object({
  host: z.string(),
  date: z.string(),
  views: count,
  paidViews: count,
  revenueMicros: count,
  /** Paid views of the day refunded since (already taken out of the counts above), and what they had been charged. Absent in summaries written before they were kept. */
  refunds: count.optional(),
  refundedMicros: count.optional(),
  topPaths: z.array(z.object({ path: z.string(), paidViews: count, revenueMicros: count })),
  updatedAt: z.string(),
});

export type UsageSummary = z.infer<typeof usageSummarySchema>;
