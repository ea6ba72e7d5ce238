import { reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readUsageHistory } from '../../src/admin/usage-history';
import { HOST, putSite, siteDoc } from '../support/paywall';
import { CONSOLE, page, signIn, textOf } from '../support/admin-console';

afterEach(() => reset());

/** A day's summary as the usage aggregator writes it. */
function usage(
  date: string,
  views: number,
  paidViews: number,
  revenueMicros: number,
  topPaths: { path: string; paidViews: number; revenueMicros: number }[] = [],
) {
  return JSON.stringify({ host: HOST, date, views, paidViews, revenueMicros, topPaths, updatedAt: `${date}T23:59:59.000Z` });
}

beforeEach(async () => {
  await env.KV.put(
    `usage:${HOST}:2026-03-01`,
    usage('2026-03-01', 40, 10, 25_000, [
      { path: '/articles/a', paidViews: 8, revenueMicros: 20_000 },
      { path: '/premium/b', paidViews: 2, revenueMicros: 5_000 },
    ]),
  );
  // 2026-03-02: no summary, so no views.
  await env.KV.put(
    `usage:${HOST}:2026-03-03`,
    usage('2026-03-03', 12, 3, 30_000, [{ path: '/premium/b', paidViews: 3, revenueMicros: 30_000 }]),
  );
  await env.KV.put(`usage:${HOST}:2026-03-04`, 'not json');
  // Another site's day and a day outside the range are not counted.
  await env.KV.put('usage:other.test:2026-03-01', usage('2026-03-01', 1000, 1000, 9_999_999));
  await env.KV.put(`usage:${HOST}:2026-03-05`, usage('2026-03-05', 1000, 1000, 9_999_999));
});

describe('usage history from KV', () => {
  it('reads every day of the range, missing days as zero, and sums the top-earning paths', async () => {
    const h = await readUsageHistory(env.KV, HOST, '2026-03-01', '2026-03-04');
    expect(h.days).toEqual([
      { date: '2026-03-01', views: 40, paidViews: 10, revenueMicros: 25_000 },
      { date: '2026-03-02', views: 0, paidViews: 0, revenueMicros: 0 },
      { date: '2026-03-03', views: 12, paidViews: 3, revenueMicros: 30_000 },
      { date: '2026-03-04', views: 0, paidViews: 0, revenueMicros: 0 },
    ]);
    expect(h.totals).toEqual({ views: 52, paidViews: 13, revenueMicros: 55_000 });
    expect(h.topPaths).toEqual([
      { path: '/premium/b', paidViews: 5, revenueMicros: 35_000 },
      { path: '/articles/a', paidViews: 8, revenueMicros: 20_000 },
    ]);
    expect(h.unreadableDays).toEqual(['2026-03-04']);
  });

  it('is tolerant of fields it does not know or cannot read', async () => {
    await env.KV.put(
      `usage:${HOST}:2026-04-01`,
      JSON.stringify({ date: '2026-04-01', views: 5, paidViews: -1, revenueMicros: 1.5, extra: true, topPaths: 'x' }),
    );
    const h = await readUsageHistory(env.KV, HOST, '2026-04-01', '2026-04-01');
    expect(h.days).toEqual([{ date: '2026-04-01', views: 5, paidViews: 0, revenueMicros: 0 }]);
    expect(h.unreadableDays).toEqual([]);
  });
});

describe('revenue page', () => {
  it('shows totals, a chart of every day, the top-earning paths and the unreadable days', async () => {
    await putSite(siteDoc([]));
    const cookie = await signIn();
    const { status, html } = await page(`${CONSOLE}/sites/${HOST}/revenue?from=2026-03-01&to=2026-03-04`, cookie);
    expect(status).toBe(200);
    expect(textOf(html, 'chart-title')).toBe('Views and revenue per day, 2026-03-01 to 2026-03-04');
    expect(/data-testid="total-revenue">([^<]*)</.exec(html)?.[1]).toBe('$0.055');
    expect(/data-testid="total-views">([^<]*)</.exec(html)?.[1]).toBe('52');
    expect(/data-testid="total-paid-views">([^<]*)</.exec(html)?.[1]).toBe('13');
    const chart = /<svg[\s\S]*<\/svg>/.exec(html)![0];
    expect(chart.match(/<rect class="bar"/g)).toHaveLength(4);
    expect(chart).toContain('<title>2026-03-03: 12 views (3 paid), $0.03</title>');
    expect(chart).toMatch(/<path class="revenue" d="M[\d.,LMC ]+"/);
    const top = /data-testid="top-paths"[\s\S]*?<\/table>/.exec(html)![0];
    expect([...top.matchAll(/<code>([^<]*)<\/code>/g)].map((m) => m[1])).toEqual(['/premium/b', '/articles/a']);
    expect(html).toContain('The summaries of 2026-03-04 could not be read and count as zero.');
  });

  it('defaults to the last 30 days', async () => {
    const cookie = await signIn();
    const { status, html } = await page(`${CONSOLE}/sites/${HOST}/revenue`, cookie);
    expect(status).toBe(200);
    expect(/<svg[\s\S]*<\/svg>/.exec(html)![0].match(/<rect class="bar"/g)).toHaveLength(30);
  });

  it('shows a wrong range beside its field', async () => {
    const cookie = await signIn();
    const bad = await page(`${CONSOLE}/sites/${HOST}/revenue?from=2026-02-30&to=2026-03-01`, cookie);
    expect(bad.status).toBe(400);
    expect(textOf(bad.html, 'err-from')).toContain('YYYY-MM-DD');
    const reversed = await page(`${CONSOLE}/sites/${HOST}/revenue?from=2026-03-02&to=2026-03-01`, cookie);
    expect(textOf(reversed.html, 'err-from')).toContain('must not be after');
    const long = await page(`${CONSOLE}/sites/${HOST}/revenue?from=2025-01-01&to=2026-03-01`, cookie);
    expect(textOf(long.html, 'err-to')).toContain('at most 366 days');
    expect(long.html).not.toContain('<svg');
  });
});
