import type { OriginResult } from './proxy-origin';

/**
 * A paid GET's origin fetch started together with the wallet's decision, so that the
 * reader waits for the slower of the two rather than their sum. Only the wallet decides:
 * an early answer that the wallet then refuses is aborted and thrown away, never shown.
 *
 * What bounds the origin fetches a reader without money can cause: this isolate starts
 * one early only for a reader (already verified by their token's signature or a linked
 * crawler's key) whose wallet it last heard from, within `KNOWN_MS`, with at least the
 * view's price available; a refusal (or an answer below the price) makes every later view
 * of theirs ask the wallet first, until the wallet says otherwise. And at most
 * `MAX_EARLY_IN_FLIGHT` of a reader's fetches wait on the wallet at once. So a reader who
 * never had the price causes no early fetch at all, and one whose money ran out causes at
 * most `MAX_EARLY_IN_FLIGHT - 1` wasted ones per isolate before the first refusal is heard.
 */
export const KNOWN_MS = 60_000;
export const MAX_EARLY_IN_FLIGHT = 4;
/** Readers remembered per isolate; the oldest are forgotten first (forgotten = ask the wallet first). */
const MAX_READERS = 10_000;

type Known = { availableMicros: number; at: number; inFlight: number };
const known = new Map<string, Known>();

/** What the wallet just said of a reader: what they have available (0 on a refusal). */
export function heardFromWallet(readerId: string, availableMicros: number, now = Date.now()): void {
  const prior = known.get(readerId);
  known.delete(readerId); // re-inserted last: the Map's order is the age order
  known.set(readerId, { availableMicros, at: now, inFlight: prior?.inFlight ?? 0 });
  if (known.size > MAX_READERS) known.delete(known.keys().next().value!);
}

export type EarlyFetch = {
  /** The origin's answer (rejects if the fetch threw). */
  result: Promise<OriginResult>;
  /** The wallet answered: the fetch is no longer ahead of it. */
  walletAnswered(): void;
  /** The wallet refused or failed: abort the fetch and drop whatever it brings. */
  discard(waitUntil: (p: Promise<unknown>) => void): void;
};

/**
 * Starts `fetch` now if this view (a GET) of this reader may be fetched ahead of the wallet (see above), or
 * returns null: the caller then asks the wallet first.
 */
export function startEarly(
  method: string,
  readerId: string,
  priceMicros: number,
  fetch: (cancel: AbortSignal) => Promise<OriginResult>,
  now = Date.now(),
): EarlyFetch | null {
  // A GET only: another method may change something at the origin, so it is sent only once paid for.
  if (method !== 'GET') return null;
  const k = known.get(readerId);
  if (!k || now - k.at > KNOWN_MS || k.availableMicros < priceMicros || k.inFlight >= MAX_EARLY_IN_FLIGHT) return null;
  k.inFlight += 1;
  let counted = true;
  const walletAnswered = () => {
    if (!counted) return;
    counted = false;
    const current = known.get(readerId);
    if (current) current.inFlight = Math.max(0, current.inFlight - 1);
  };
  const controller = new AbortController();
  const result = fetch(controller.signal);
  // Marked as handled: a fetch that throws before anyone awaits it is not an unhandled rejection.
  result.catch(() => {});
  return {
    result,
    walletAnswered,
    discard(waitUntil) {
      walletAnswered();
      controller.abort();
      waitUntil(result.then((r) => (r.ok ? r.response.body?.cancel() : undefined)).catch(() => {}));
    },
  };
}

/** For tests: forget every reader. */
export function forgetReaders(): void {
  known.clear();
}

/** For tests: how many early fetches of a reader wait on the wallet. */
export function earlyInFlight(readerId: string): number {
  return known.get(readerId)?.inFlight ?? 0;
}
