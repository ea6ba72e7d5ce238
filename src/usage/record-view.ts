import type { Context } from 'hono';
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
 * once the answer is on its way, with an id that makes retries count once.
 */
export function recordView(c: Context<AppEnv>, view: AnsweredView): void {
  if (c.req.method === 'HEAD' || view.status < 200 || view.status > 299 || view.replay) return;
  if (view.chargedMicros !== null && view.chargedMicros > 0) return;
  c.executionCtx.waitUntil(sendView(c.env, view.host, crypto.randomUUID(), utcDay(Date.now())));
}

async function sendView(env: Env, host: string, eventId: string, day: string): Promise<void> {
  let failure: unknown;
  for (let attempt = 0; attempt <= RETRY_DELAYS_MS.length; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[attempt - 1]));
    try {
      const result = await usageOf(env, host).countView(host, eventId, day);
      if (result.ok) return;
      failure = result.reason;
      break;
    } catch (e) {
      failure = e;
    }
  }
  console.error('usage: a view could not be counted', host, day, String(failure));
}
