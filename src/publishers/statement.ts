import { readSummaries } from '../usage/read-usage';
import { addDays } from '../usage/utc-days';
import type { Publisher } from './publisher-types';

/** One host's month, as its usage summaries have it. `revenueMicros` is net of view refunds, exactly as the summaries count it. */
export type StatementLine = {
  host: string;
  views: number;
  paidViews: number;
  grossRevenueMicros: number;
  viewRefunds: number;
  refundedMicros: number;
  revenueMicros: number;
};

export type Statement = {
  publisherId: string;
  publisherName: string;
  month: string;
  from: string;
  to: string;
  platformFeeBps: number;
  hosts: StatementLine[];
  totals: Omit<StatementLine, 'host'> & { platformFeeMicros: number; netOwedMicros: number };
};

export type StatementResult = { ok: true; statement: Statement } | { ok: false; reason: 'invalid_summary'; host: string; date: string };

/** Whether `text` is a calendar month written YYYY-MM, from 2000 on. */
export function isMonth(text: string): boolean {
  return /^(2\d{3})-(0[1-9]|1[0-2])$/.test(text);
}

export function monthDays(month: string): { from: string; to: string } {
  const from = `${month}-01`;
  const [y, m] = month.split('-').map(Number) as [number, number];
  const next = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
  return { from, to: addDays(next, -1) };
}

/**
 * The platform's fee on a month's net revenue, in basis points, rounded down to the
 * micro: the publisher is never charged a fraction of a micro more than the rate.
 */
export function platformFee(revenueMicros: number, bps: number): number {
  return Number((BigInt(revenueMicros) * BigInt(bps)) / 10_000n);
}

/**
 * A publisher's statement for one UTC month: each of its hosts' usage summaries summed
 * over the month's days. Gross revenue is what readers were charged; view refunds are
 * the paid views taken back (an origin that broke off a paid answer), counted on the
 * charge's day as the summaries count them; net revenue is gross minus refunds, which is
 * the summaries' own `revenueMicros`, so a statement reconciles with the usage API to the micro.
 */
export async function buildStatement(
  kv: KVNamespace,
  publisher: Publisher,
  month: string,
  platformFeeBps: number,
): Promise<StatementResult> {
  const { from, to } = monthDays(month);
  const hosts: StatementLine[] = [];
  for (const host of publisher.hosts) {
    const read = await readSummaries(kv, host, from, to);
    if (!read.ok) return { ok: false, reason: 'invalid_summary', host, date: read.date };
    const line: StatementLine = {
      host,
      views: 0,
      paidViews: 0,
      grossRevenueMicros: 0,
      viewRefunds: 0,
      refundedMicros: 0,
      revenueMicros: 0,
    };
    for (const s of read.summaries.values()) {
      if (!s) continue;
      line.views += s.views;
      line.paidViews += s.paidViews;
      line.revenueMicros += s.revenueMicros;
      line.viewRefunds += s.refunds ?? 0;
      line.refundedMicros += s.refundedMicros ?? 0;
    }
    line.grossRevenueMicros = line.revenueMicros + line.refundedMicros;
    hosts.push(line);
  }
  const sum = (k: keyof Omit<StatementLine, 'host'>) => hosts.reduce((n, l) => n + l[k], 0);
  const revenueMicros = sum('revenueMicros');
  const platformFeeMicros = platformFee(revenueMicros, platformFeeBps);
  return {
    ok: true,
    statement: {
      publisherId: publisher.publisherId,
      publisherName: publisher.name,
      month,
      from,
      to,
      platformFeeBps,
      hosts,
      totals: {
        views: sum('views'),
        paidViews: sum('paidViews'),
        grossRevenueMicros: sum('grossRevenueMicros'),
        viewRefunds: sum('viewRefunds'),
        refundedMicros: sum('refundedMicros'),
        revenueMicros,
        platformFeeMicros,
        netOwedMicros: revenueMicros - platformFeeMicros,
      },
    },
  };
}

const CSV_COLUMNS = [
  'host',
  'views',
  'paid_views',
  'gross_revenue_micros',
  'view_refunds',
  'refunded_micros',
  'revenue_micros',
  'platform_fee_micros',
  'net_owed_micros',
];

/** The statement as CSV: a line per host, then the total (the fee is taken on the total). Hosts are host names, so nothing needs quoting. */
export function statementCsv(s: Statement): string {
  const line = (l: StatementLine) => [
    l.host,
    l.views,
    l.paidViews,
    l.grossRevenueMicros,
    l.viewRefunds,
    l.refundedMicros,
    l.revenueMicros,
    '',
    '',
  ];
  const t = s.totals;
  const rows = [
    CSV_COLUMNS,
    ...s.hosts.map(line),
    [
      'total',
      t.views,
      t.paidViews,
      t.grossRevenueMicros,
      t.viewRefunds,
      t.refundedMicros,
      t.revenueMicros,
      t.platformFeeMicros,
      t.netOwedMicros,
    ],
  ];
  return `${rows.map((r) => r.join(',')).join('\r\n')}\r\n`;
}

/** PLATFORM_FEE_BPS: an integer from 0 to 10,000 basis points; unset is no fee; anything else is a misconfiguration. */
export function platformFeeBps(env: Env): number | null {
  const text = env.PLATFORM_FEE_BPS;
  if (text === undefined || text === '') return 0;
  if (!/^\d{1,5}$/.test(text) || Number(text) > 10_000) return null;
  return Number(text);
}
