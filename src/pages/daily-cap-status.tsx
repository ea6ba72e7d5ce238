import { usdForPeople } from '../money';

/** Today's spending against the reader's daily cap: what the pages say, in one place. */
export type CapStatus = { spentTodayMicros: number; dailyCapMicros: number };

/** Whether a view at `priceMicros` would go over the cap now. */
export function capBlocks(cap: CapStatus | null, priceMicros: number): boolean {
  return cap !== null && cap.spentTodayMicros + priceMicros > cap.dailyCapMicros;
}

/**
 * When the cap starts again: the next UTC midnight, in words ("resets at 00:00 UTC, in 5 h
 * 12 min"). UTC because the wallet counts UTC days everywhere (the contract's usage days
 * too); the time left makes it plain in any time zone.
 */
export function capResets(now = Date.now()): string {
  const midnight = Math.floor(now / 86_400_000 + 1) * 86_400_000;
  const minutes = Math.ceil((midnight - now) / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  // No-break spaces: "10 h 25 min" never splits across lines.
  const nb = '\u00a0';
  const left =
    minutes <= 1 ? 'in under a minute' : h === 0 ? `in ${m}${nb}min` : m === 0 ? `in ${h}${nb}h` : `in ${h}${nb}h${nb}${m}${nb}min`;
  return `resets at 00:00 UTC, ${left}`;
}

/** "Spent today $0.02 of your $0.05 daily cap; it resets at 00:00 UTC, in 5 h." */
export function CapLine(props: { cap: CapStatus; now?: number }) {
  return (
    <p data-testid="cap-status">
      Spent today <strong>{usdForPeople(props.cap.spentTodayMicros)}</strong> of your{' '}
      <strong>{usdForPeople(props.cap.dailyCapMicros)}</strong> daily cap; it {capResets(props.now)}.
    </p>
  );
}

/** Why the cap blocks this one: reached already, or this article would take it over. */
export function capHeadline(cap: CapStatus | null): string {
  return cap !== null && cap.spentTodayMicros < cap.dailyCapMicros
    ? 'This would exceed your daily cap'
    : 'You have reached your daily spending cap';
}
