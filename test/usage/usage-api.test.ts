import { reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { addDays } from '../../src/usage/utc-days';
import { adminCall, HOST, newReader, useStandardSite } from '../support/paywall';
import { flushAll, ledgerTotals, today, unchargedViews, usageApi, usageOk, visit } from '../support/usage';

afterEach(() => reset());

const zero = { views: 0, paidViews: 0, revenueMicros: 0 };

describe('GET /__paywall/api/admin/usage/:host', () => {
  it('answers exact totals after a burst of views, with every day of the range listed', async () => {
    await useStandardSite();
    const readers = await Promise.all(Array.from({ length: 8 }, () => newReader(100_000)));
    const visits = await Promise.all(
      readers.flatMap((reader, i) => [
        visit('/premium/a', reader),
        visit(`/articles/${i}`, reader),
        visit(`/articles/${i}`, reader),
        visit('/', null),
        visit('/broken-body/paid', reader), // charged, then refunded
      ]),
    );
    await flushAll(readers);
    // Expected from the ledgers and the answers (8 × 4 views, 8 × 2 paid, 8 × 12,500 micros
    // when every origin fetch succeeds), so a loaded machine's origin timeout cannot fake a miscount.
    const paid = await ledgerTotals(readers);
    expect(paid.paidViews).toBeGreaterThan(8);
    const day = { views: paid.paidViews + unchargedViews(visits), ...paid };

    const from = addDays(today(), -3);
    const to = addDays(today(), 1);
    const usage = await usageOk(`?from=${from}&to=${to}`);
    expect(usage).toEqual({
      host: HOST,
      days: [
        { date: from, ...zero },
        { date: addDays(today(), -2), ...zero },
        { date: addDays(today(), -1), ...zero },
        { date: today(), ...day },
        { date: to, ...zero },
      ],
      totals: day,
    });
  });

  it('adds the days of a range up', async () => {
    const put = (date: string, views: number, paidViews: number, revenueMicros: number) =>
      env.KV.put(
        `usage:${HOST}:${date}`,
        JSON.stringify({ host: HOST, date, views, paidViews, revenueMicros, topPaths: [], updatedAt: new Date().toISOString() }),
      );
    await put('2025-12-31', 5, 1, 2500);
    await put('2026-01-01', 7, 2, 20_000);
    await put('2026-01-03', 1, 0, 0);
    await put('2026-01-04', 100, 100, 100_000); // outside the range
    const usage = await usageOk('?from=2025-12-31&to=2026-01-03');
    expect(usage.days.map((d) => d.date)).toEqual(['2025-12-31', '2026-01-01', '2026-01-02', '2026-01-03']);
    expect(usage.days[2]).toEqual({ date: '2026-01-02', ...zero });
    expect(usage.totals).toEqual({ views: 13, paidViews: 3, revenueMicros: 22_500 });
    expect((await usageOk('?from=2026-01-04&to=2026-01-04')).totals).toEqual({ views: 100, paidViews: 100, revenueMicros: 100_000 });
  });

  it('reads a whole leap year (366 days), and more than 100 keys', async () => {
    const usage = await usageOk('?from=2024-01-01&to=2024-12-31');
    expect(usage.days).toHaveLength(366);
    expect(usage.days.at(-1)!.date).toBe('2024-12-31');
    expect(usage.totals).toEqual(zero);
  });

  it.each([
    ['?from=2026-02-30&to=2026-03-01', 'from'],
    ['?from=2026-1-01&to=2026-03-01', 'from'],
    ['?from=yesterday&to=2026-03-01', 'from'],
    ['?from=2026-03-01&to=2026-13-01', 'to'],
    ['?from=2026-03-01&to=2026-03-01T00:00:00Z', 'to'],
    ['?to=2026-03-01', 'from'],
    ['?from=2026-03-01', 'to'],
    ['', 'from'],
    ['?from=2026-03-02&to=2026-03-01', 'from'],
    ['?from=2024-01-01&to=2025-01-01', 'to'],
    ['?from=2020-01-01&to=2026-01-01', 'to'],
  ])('refuses %s with a 400 naming %s', async (query, field) => {
    const res = await usageApi(query);
    expect(res.status).toBe(400);
    const body = await res.json<{ error: string; field: string; message: string }>();
    expect(body.error).toBe('invalid_request');
    expect(body.field).toBe(field);
    expect(body.message).toMatch(new RegExp(`^${field}: `));
  });

  it('refuses a host that is not a host name', async () => {
    const res = await usageApi('?from=2026-01-01&to=2026-01-02', 'Not_A_Host');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_host', field: 'host' });
  });

  it('needs the admin token', async () => {
    const path = `/__paywall/api/admin/usage/${HOST}?from=2026-01-01&to=2026-01-02`;
    expect((await adminCall(path)).status).toBe(401);
    expect((await adminCall(path, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
  });

  it('reports a summary it cannot read instead of counting it as zero', async () => {
    await env.KV.put(`usage:${HOST}:2026-01-02`, '{"views":"lots"}');
    const res = await usageApi('?from=2026-01-01&to=2026-01-03');
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: 'invalid_usage_summary' });
  });
});
