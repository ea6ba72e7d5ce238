import type { Context } from 'hono';
import type { AppEnv } from '../http/app-types';
import { log } from '../http/log';
import { walletOf } from '../wallet/wallet-stub';
import type { ChargeRequest, LeaseCharge } from '../wallet/wallet-types';
import { askWallet, voidCharge } from './undo-charges';

/**
 * A hot reader (a crawler, an agent) spends from a lease: a slice of their balance the
 * wallet sets aside for this isolate (Wallet.lease), which the isolate's views spend
 * locally and report in batches (Wallet.settleLease). So a reader viewing many pages a
 * second costs a fraction of a wallet request per view, and one reader is no longer held
 * to what one Durable Object answers. The slice is the most that can be spent: the wallet
 * never charges more than it set aside. What a crash costs is in SECURITY.md ("Leases").
 */

/** A reader is hot in this isolate after this many priced views within HOT_WINDOW_MS. */
const HOT_VIEWS = 8;
const HOT_WINDOW_MS = 2_000;
/** Views' worth asked for per lease. */
const LEASE_VIEWS = 64;
/** A batch is reported once this many views wait... */
const SETTLE_BATCH = 16;
/** ...or this long after the first of them. */
const SETTLE_AFTER_MS = 1_000;
/** Spending stops this long before the lease expires, so that the last report arrives in time. */
const SPEND_MARGIN_MS = 10_000;
/** After a refusal, the reader's views go to the wallet one by one for this long (each is then told why). */
const REFUSED_BACKOFF_MS = 5_000;
/** Readers and leases remembered per isolate; the oldest are forgotten first. */
const MAX_READERS = 10_000;

type Lease = {
  id: string;
  env: Env;
  readerId: string;
  priceMicros: number;
  /** Micros of the slice not yet spent by this isolate. */
  remaining: number;
  spendUntil: number;
  /** The ledger's balance as the wallet last said, and what this isolate spent since that is not in it yet. */
  knownBalance: number;
  unsettled: number;
  /** Views delivered (or being delivered) and not yet in a batch. */
  pending: LeaseCharge[];
  /** Batches made and not yet acknowledged, oldest first; each keeps its number, so that a repeat is known. */
  queue: { batch: number; charges: LeaseCharge[]; final: boolean }[];
  batches: number;
  settling: Promise<void> | null;
  timerSet: boolean;
  closed: boolean;
};

const leases = new Map<string, Lease>();
const asking = new Map<string, Promise<Lease | null>>();
const refusedUntil = new Map<string, number>();
const recentViews = new Map<string, number[]>();

/** A view spent from a lease: its receipt, the balance to report, and how to take it back. */
export type LeasedView = {
  receipt: string;
  balanceMicros: number;
  /** The origin did not deliver: the view is dropped from the batch, or voided once reported. */
  giveBack(): Promise<void>;
  /** Dropped from the batch if not yet reported (true); else the caller refunds it as any charge. */
  dropUnreported(): boolean;
  /** The title read from the page, for a view not yet reported (true); else the caller writes it. */
  keepTitle(title: string): boolean;
};

/** Only a plain view may spend locally: no re-view window, idempotency key, confirmation or per-request cap for the wallet to judge. */
export function leasable(method: string, request: ChargeRequest): boolean {
  return (
    method === 'GET' &&
    request.reviewWindowSeconds === undefined &&
    request.idempotencyKey === undefined &&
    request.askFirst !== true &&
    request.grant?.kind !== 'token' &&
    (request.maxPriceMicros === undefined || request.priceMicros <= request.maxPriceMicros)
  );
}

/**
 * Spends the view from this isolate's lease for the reader, asking for one when the reader
 * is hot; null when the view should go to the wallet as usual (not hot, refused, or the
 * wallet could not be reached: the usual path then answers for it).
 */
export async function spendFromLease(
  c: Context<AppEnv>,
  readerId: string,
  request: ChargeRequest,
  now = Date.now(),
): Promise<LeasedView | null> {
  const key = `${readerId} ${request.host} ${request.priceMicros} ${request.grant?.id ?? ''}`;
  let lease = leases.get(key);
  if (!spendable(lease, now)) {
    if (!hot(readerId, now) || (refusedUntil.get(key) ?? 0) > now) return null;
    if (lease) c.executionCtx.waitUntil(settle(lease, true));
    let asked = asking.get(key);
    if (!asked) {
      asked = newLease(c.env, readerId, request, key).finally(() => asking.delete(key));
      asking.set(key, asked);
    }
    lease = (await asked) ?? undefined;
    if (!spendable(lease, Date.now())) return null;
  }
  const spent = lease!;
  spent.remaining -= spent.priceMicros;
  spent.unsettled += spent.priceMicros;
  const charge: LeaseCharge = { receipt: crypto.randomUUID(), path: request.path };
  if (request.title !== undefined) charge.title = request.title;
  spent.pending.push(charge);
  scheduleSettle(c, spent);
  const dropUnreported = () => {
    const i = spent.pending.indexOf(charge);
    if (i < 0) return false;
    spent.pending.splice(i, 1);
    spent.unsettled -= spent.priceMicros;
    if (!spent.closed) spent.remaining += spent.priceMicros;
    return true;
  };
  return {
    receipt: charge.receipt,
    balanceMicros: spent.knownBalance - spent.unsettled,
    dropUnreported,
    async giveBack() {
      if (dropUnreported()) return;
      // Reported, or on its way: voided like any charge, once the report on its way has landed.
      while (spent.settling) await spent.settling;
      await voidCharge(c.env, readerId, charge.receipt);
    },
    keepTitle(title) {
      if (!spent.pending.includes(charge)) return false;
      charge.title = title;
      return true;
    },
  };
}

function spendable(lease: Lease | undefined, now: number): lease is Lease {
  return lease !== undefined && !lease.closed && now < lease.spendUntil && lease.remaining >= lease.priceMicros;
}

/** Counts the view; whether the reader made HOT_VIEWS priced views here within HOT_WINDOW_MS. */
function hot(readerId: string, now: number): boolean {
  const times = (recentViews.get(readerId) ?? []).filter((t) => now - t < HOT_WINDOW_MS);
  times.push(now);
  recentViews.delete(readerId); // re-inserted last: the Map's order is the age order
  recentViews.set(readerId, times.slice(-HOT_VIEWS));
  if (recentViews.size > MAX_READERS) recentViews.delete(recentViews.keys().next().value!);
  return times.length >= HOT_VIEWS;
}

async function newLease(env: Env, readerId: string, request: ChargeRequest, key: string): Promise<Lease | null> {
  const leaseId = crypto.randomUUID();
  try {
    const granted = await walletOf(env, readerId).lease({
      leaseId,
      host: request.host,
      priceMicros: request.priceMicros,
      views: LEASE_VIEWS,
      ...(request.grant ? { grant: request.grant } : {}),
    });
    if (!granted.ok) {
      refusedUntil.set(key, Date.now() + REFUSED_BACKOFF_MS);
      if (refusedUntil.size > MAX_READERS) refusedUntil.delete(refusedUntil.keys().next().value!);
      return null;
    }
    const lease: Lease = {
      id: leaseId,
      env,
      readerId,
      priceMicros: request.priceMicros,
      remaining: granted.amountMicros,
      spendUntil: granted.expiresAt - SPEND_MARGIN_MS,
      knownBalance: granted.balanceMicros,
      unsettled: 0,
      pending: [],
      queue: [],
      batches: 0,
      settling: null,
      timerSet: false,
      closed: false,
    };
    leases.delete(key);
    leases.set(key, lease);
    if (leases.size > MAX_READERS) leases.delete(leases.keys().next().value!);
    return lease;
  } catch (e) {
    log('error', 'wallet_call_failed', { call: 'lease', readerId, error: e });
    return null;
  }
}

/** A full batch is reported at once; otherwise the first view of a batch reports it a second later. */
function scheduleSettle(c: Context<AppEnv>, lease: Lease): void {
  const last = lease.remaining < lease.priceMicros;
  if (last || lease.pending.length >= SETTLE_BATCH) {
    c.executionCtx.waitUntil(settle(lease, last));
    return;
  }
  if (lease.timerSet) return;
  lease.timerSet = true;
  c.executionCtx.waitUntil(
    scheduler.wait(SETTLE_AFTER_MS).then(() => {
      lease.timerSet = false;
      return settle(lease, Date.now() >= lease.spendUntil);
    }),
  );
}

/**
 * Reports the views waiting as the next numbered batch, after any batch not yet
 * acknowledged (one report at a time, in order); `final` gives the rest of the slice
 * back. A batch the wallet cannot be told of stays queued, with its number, for the next
 * report: the wallet applies each number once.
 */
async function settle(lease: Lease, final: boolean): Promise<void> {
  while (lease.settling) await lease.settling;
  if (lease.closed || (lease.pending.length === 0 && lease.queue.length === 0 && !final)) return;
  if (final) lease.closed = true;
  if (lease.pending.length > 0 || final) {
    lease.batches += 1;
    lease.queue.push({ batch: lease.batches, charges: lease.pending.splice(0), final });
  }
  const run = async () => {
    while (lease.queue.length > 0) {
      const next = lease.queue[0]!;
      if (!(await report(lease, next))) {
        if (final) lease.closed = false;
        return;
      }
      lease.queue.shift();
    }
  };
  lease.settling = run().finally(() => {
    lease.settling = null;
  });
  await lease.settling;
}

/** One batch to the wallet, asked again through a wallet briefly away; false if it never answered. */
function report(lease: Lease, next: Lease['queue'][number]): Promise<boolean> {
  return askWallet('settleLease', { readerId: lease.readerId, leaseId: lease.id }, async () => {
    const settled = await walletOf(lease.env, lease.readerId).settleLease(lease.id, next.batch, next.charges, next.final);
    lease.unsettled -= next.charges.length * lease.priceMicros;
    lease.knownBalance = settled.balanceMicros;
    const refused = settled.ok ? settled.refused : next.charges.length;
    if (refused > 0) log('error', 'lease_views_not_charged', { readerId: lease.readerId, leaseId: lease.id, views: refused });
    return true;
  });
}

/**
 * Reports every view this isolate spent from the reader's leases and has not reported yet,
 * before the reader's own balance or history is read here: what they just viewed is in it.
 * (Another isolate's unreported views, a second's worth at most, show once it reports them.)
 */
export async function reportLeases(readerId: string): Promise<void> {
  if (leases.size === 0) return;
  const mine = [...leases.values()].filter((l) => l.readerId === readerId && (l.pending.length > 0 || l.queue.length > 0 || l.settling));
  await Promise.all(mine.map((l) => settle(l, false)));
}
