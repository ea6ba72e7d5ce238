import type { LedgerEntry } from '../wallet/ledger-entry';
import { TAKE_BACK_REASONS, isTakeBackReason } from '../usage/take-back-reasons';
import { usdForCsv } from '../money';

/** Money out of the balance; every other type is money in. */
export const MONEY_OUT = new Set<LedgerEntry['type']>(['charge', 'reversal', 'withdrawal', 'transfer_out']);

/**
 * One history line as a person reads it, on the page and in the CSV alike: what it was
 * ("Card top-up", "Demo top-up", "Credit from support", "Article"), and the rest in words
 * (for a charge: the article's title when its page gave one, its publisher and path).
 */
export type HistoryLine = { label: string; title: string | null; site: string | null; path: string | null; detail: string | null };

export function historyLine(e: LedgerEntry): HistoryLine {
  const site = e.host ?? null;
  const path = e.path ?? null;
  const base = { title: e.title ?? null, site, path };
  switch (e.type) {
    case 'topup':
      if (e.reason === 'dev top-up') return { ...base, label: 'Demo top-up', detail: null };
      if (e.reason?.startsWith('card top-up')) return { ...base, label: 'Card top-up', detail: null };
      return { ...base, label: 'Top-up', detail: e.reason ?? null };
    case 'credit':
      if (e.reason?.startsWith('Withdrawal not made')) return { ...base, label: 'Withdrawal returned', detail: e.reason };
      return { ...base, label: 'Credit from support', detail: e.reason ?? null };
    case 'charge':
      return { ...base, label: 'Article', detail: null };
    case 'refund':
      return { ...base, label: 'Refund', detail: readableReason(e.reason) ?? null };
    case 'reversal':
      return { ...base, label: 'Card payment reversed', detail: e.reason ?? null };
    case 'reinstated':
      return { ...base, label: 'Returned to you', detail: e.reason ?? null };
    case 'withdrawal':
      return { ...base, label: 'Withdrawal', detail: e.reason ?? null };
    case 'transfer_in':
      return { ...base, label: 'Transfer in', detail: e.reason ?? null };
    case 'transfer_out':
      return { ...base, label: 'Transfer out', detail: e.reason ?? null };
  }
}

/** The wallet records a take-back's reason by its key ("…: mistake"); the reader reads the words they picked. */
export function readableReason(reason: string | undefined): string | undefined {
  const key = reason && /^Taken back by the reader: (\w+)$/.exec(reason)?.[1];
  return key && isTakeBackReason(key) ? `Taken back: ${TAKE_BACK_REASONS[key].toLowerCase()}` : reason;
}

const CSV_HEADER = [
  'date_utc',
  'type',
  'what',
  'title',
  'site',
  'path',
  'detail',
  'amount_usd',
  'balance_after_usd',
  'amount_micros',
  'balance_after_micros',
  'id',
];

/**
 * The history as CSV (RFC 4180, CRLF), newest first: one row per ledger entry, amounts
 * signed (money out negative) in dollars and in micros. A cell that a spreadsheet would
 * run as a formula (=, +, -, @, tab, CR at its start) is prefixed with an apostrophe, since
 * titles and reasons come from publishers' pages and from people.
 */
export function historyCsv(entries: LedgerEntry[]): string {
  const rows = [CSV_HEADER];
  for (const e of entries) {
    const line = historyLine(e);
    const sign = MONEY_OUT.has(e.type) ? -1 : 1;
    const amount = sign * e.amountMicros;
    rows.push([
      e.at,
      e.type,
      line.label,
      line.title ?? '',
      line.site ?? '',
      line.path ?? '',
      line.detail ?? '',
      usdForCsv(amount),
      usdForCsv(e.balanceAfterMicros),
      String(amount),
      String(e.balanceAfterMicros),
      e.id,
    ]);
  }
  return `${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !/^-?\d+(\.\d+)?$/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The most rows one CSV export holds: the newest, years of reading for anyone. */
export const MAX_CSV_ROWS = 10_000;

/** Whether `Accept` names CSV (a browser's wildcard alone does not). */
export function wantsCsv(accept: string | undefined): boolean {
  return /(^|,)\s*text\/csv\b/i.test(accept ?? '');
}

/** The CSV as a download, never cached by anyone but the reader. */
export function csvAnswer(
  c: { body: (data: string, status: 200, headers: Record<string, string>) => Response },
  entries: LedgerEntry[],
): Response {
  const day = new Date().toISOString().slice(0, 10);
  return c.body(historyCsv(entries), 200, {
    'content-type': 'text/csv; charset=utf-8; header=present',
    'content-disposition': `attachment; filename="wallet-history-${day}.csv"`,
    'cache-control': 'private, no-store',
    vary: 'Accept, Authorization, Cookie',
  });
}
