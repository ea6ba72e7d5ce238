import { log } from '../http/log';

/** What `USAGE_FLUSH_SECONDS` allows when it is unset or not a number. */
export const DEFAULT_FLUSH_SECONDS = 10;

/**
 * The longest a usage hop waits before it flushes. At least a second: the aggregator
 * writes each day's KV key at most once per flush, and KV takes one write a second per key.
 */
export function flushPeriodMs(env: Pick<Env, 'USAGE_FLUSH_SECONDS'>): number {
  const seconds = Number(env.USAGE_FLUSH_SECONDS);
  const chosen = Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_FLUSH_SECONDS;
  return Math.round(Math.min(Math.max(chosen, 1), 3600) * 1000);
}

/**
 * The first flush time strictly after `now` on a grid of `periodMs` shifted by `phaseMs`.
 * Because every time on the grid is a fixed point, a later call can only pick the same
 * slot or an earlier one than an alarm that has not fired yet: re-arming never delays a
 * flush that was already due, so no `getAlarm()` read is needed before `setAlarm()`.
 */
export function nextSlot(now: number, periodMs: number, phaseMs: number): number {
  return Math.floor((now - phaseMs) / periodMs + 1) * periodMs + phaseMs;
}

/** A phase per object, so that thousands of wallets do not all flush on the same tick. */
export function phaseOf(id: DurableObjectId, periodMs: number): number {
  return parseInt(id.toString().slice(-8), 16) % periodMs;
}

/**
 * A Durable Object's flush alarm, armed at most once per pending flush. The flag is in
 * memory: a fresh instance arms again, which the grid makes harmless.
 */
export class FlushAlarm {
  private armed = false;
  /** `setAlarm()` calls made: Cloudflare bills each as one SQLite row written. */
  alarmsSet = 0;
  private readonly periodMs: number;
  private readonly phaseMs: number;

  constructor(
    private readonly ctx: DurableObjectState,
    env: Pick<Env, 'USAGE_FLUSH_SECONDS'>,
  ) {
    this.periodMs = flushPeriodMs(env);
    this.phaseMs = phaseOf(ctx.id, this.periodMs);
  }

  /**
   * Called in the same synchronous turn as the write that needs flushing, so that the
   * alarm is stored atomically with that write.
   */
  arm(): void {
    if (this.armed) return;
    this.set(nextSlot(Date.now(), this.periodMs, this.phaseMs));
  }

  /**
   * Called at the end of the alarm handler, synchronously after checking whether work
   * remains (written while the flush awaited, or left by a failed delivery).
   */
  settle(workRemains: boolean): void {
    this.armed = false;
    if (workRemains) this.arm();
  }

  /** Called at the end of an alarm handler that left work it could have done at once. */
  settleNow(): void {
    this.set(Date.now());
  }

  private set(time: number): void {
    this.armed = true;
    this.alarmsSet += 1;
    this.ctx.storage.setAlarm(time).catch((e) => {
      this.armed = false;
      log('error', 'usage_flush_alarm_not_set', { error: e });
    });
  }
}
