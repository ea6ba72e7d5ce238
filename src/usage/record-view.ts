import type { Context } from 'hono';
import { log } from '../http/log';
import type { AppEnv } from '../http/app-types';
import { usageOf } from './usage-stub';
import { utcDay } from './utc-days';

/** Waits before each retry of a view's delivery; its id makes a retry harmless. */
const RETRY_DELAYS_MS = [100, 500, 2000];

/** What a view answered with, as far as usage cares. */
export type AnsweredView = {
  host: string;
  status: number;
  /** Micros charged by this view; null when the path is free. */
  chargedMicros: number | null;
  /** An Idempotency-Key replay: the same view as before, not a new one. */
  replay: boolean;
};

/**
 * Counts a view that was answered. A view is a 2xx answer to anything but HEAD; a
 * replay is the earlier view again. A view charged more than 0 is counted from the
 * reader's ledger, in the same transaction as its charge, so it is not sent from here;
 * every other view (free, or inside a re-view window) is sent to the site's aggregator
 * after the answer is on its way, in a batch with an id that makes retries count once.
 */
export function recordView(c: Context<AppEnv>, view: AnsweredView): void {
  if (c.req.method === 'HEAD' || view.status < 200 || view.status > 299 || view.replay) return;
  if (view.chargedMicros !== null && view.chargedMicros > 0) return;
  const day = utcDay(Date.now());
  const key = `${view.host} ${day}`;
  const open = batches.get(key);
  if (open) {
    open.views++;
    return;
  }
  // The first view of a batch carries it: the views this isolate answers in the next
  // USAGE_BATCH_MS join it and reach the aggregator as one event, so a busy site costs the
  // aggregator one call per isolate per BATCH_MS rather than one per view.
  const batch = { views: 1 };
  batches.set(key, batch);
  const batchMs = Number(c.env.USAGE_BATCH_MS ?? DEFAULT_BATCH_MS);
  c.executionCtx.waitUntil(
    new Promise((resolve) => setTimeout(resolve, batchMs)).then(() => {
      batches.delete(key);
      return sendViews(c.env, view.host, crypto.randomUUID(), day, batch.views);
    }),
  );
}

/** How long an isolate gathers views before sending them; far inside the 30 s freshness bound. */
const DEFAULT_BATCH_MS = 1000;
const batches = new Map<string, { views: number }>();

async function sendViews(env: Env, host: string, eventId: string, day: string, views: number): Promise<void> {
  let failure: unknown;
  for (let attempt = 0; attempt <= RETRY_DELAYS_MS.length; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[attempt - 1]));
    try {
      const result = await usageOf(env, host).countView(host, eventId, day, views);
      if (result.ok) return;
      failure = result.reason;
      break;
    } catch (e) {
      failure = e;
    }
  }
  log('error', 'usage_views_not_counted', { host, day, views, error: failure });
}
