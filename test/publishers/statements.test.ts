import { reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, adminCall, json, newReader, putSite, siteDoc, STANDARD_RULES } from '../support/paywall';
import { createPublisher, keyAuth } from '../support/publishers';
import { flushAll, today, usageOk, visit } from '../support/usage';

afterEach(() => reset());

type Totals = {
  views: number;
  paidViews: number;
  grossRevenueMicros: number;
  viewRefunds: number;
  refundedMicros: number;
  revenueMicros: number;
  platformFeeMicros: number;
  netOwedMicros: number;
};
type Statement = {
  month: string;
  from: string;
  to: string;
  platformFeeBps: number;
  hosts: ({ host: string } & Omit<Totals, 'platformFeeMicros' | 'netOwedMicros'>)[];
  totals: Totals;
};

const statementUrl = (publisherId: string, month: string) => `/__paywall/api/admin/publishers/${publisherId}/statements/${month}`;

async function statementOf(publisherId: string, month: string, headers: Record<string, string> = ADMIN): Promise<Statement> {
  const res = await adminCall(statementUrl(publisherId, month), { headers });
  expect(res.status).toBe(200);
  return res.json<Statement>();
}

/** What the usage API says of a month, summed over hosts. */
async function usageOfMonth(hosts: string[], from: string, to: string) {
  const sum = { views: 0, paidViews: 0, revenueMicros: 0 };
  for (const host of hosts) {
    const { totals } = await usageOk(`?from=${from}&to=${to}`, host);
    sum.views += totals.views;
    sum.paidViews += totals.paidViews;
    sum.revenueMicros += totals.revenueMicros;
  }
  return sum;
}

describe('statements', () => {
  it('sum a publisher\u2019s real views over its hosts, with view refunds and the platform fee, and reconcile with the usage API to the micro', async () => {
    const hosts = ['news.test', 'news2.test'];
    const news = await createPublisher('News', hosts);
    for (const host of hosts) await putSite(siteDoc(STANDARD_RULES, host), host);
    const reader = await newReader(1_000_000);
    const seen = [
      await visit('/premium/a', reader),
      await visit('/premium/b', reader, { host: 'news2.test' }),
      await visit('/articles/x', reader),
      await visit('/articles/x', reader), // a re-view: free
      await visit('/free/y', reader, { host: 'news2.test' }),
      await visit('/broken-body/paid', reader), // charged, then refunded
    ];
    expect(seen.map((v) => v.status)).toEqual([200, 200, 200, 200, 200, 200]);
    await flushAll([reader], hosts);

    const month = today().slice(0, 7);
    const s = await statementOf(news.publisherId, month);
    const usage = await usageOfMonth(hosts, s.from, s.to);
    expect(s.platformFeeBps).toBe(Number(env.PLATFORM_FEE_BPS));
    expect(s.totals).toEqual({
      views: usage.views,
      paidViews: usage.paidViews,
      revenueMicros: usage.revenueMicros,
      grossRevenueMicros: usage.revenueMicros + 1000,
      viewRefunds: 1,
      refundedMicros: 1000,
      platformFeeMicros: Math.floor((usage.revenueMicros * Number(env.PLATFORM_FEE_BPS)) / 10_000),
      netOwedMicros: usage.revenueMicros - Math.floor((usage.revenueMicros * Number(env.PLATFORM_FEE_BPS)) / 10_000),
    });
    expect(s.totals.revenueMicros).toBe(10_000 + 10_000 + 2500);
    expect(s.hosts.map((h) => [h.host, h.paidViews, h.revenueMicros])).toEqual([
      ['news.test', 2, 12_500],
      ['news2.test', 1, 10_000],
    ]);

    const csv = await adminCall(statementUrl(news.publisherId, month), { headers: { ...ADMIN, accept: 'text/csv' } });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.headers.get('content-disposition')).toContain(`statement-${news.publisherId}-${month}.csv`);
    const rows = (await csv.text())
      .trim()
      .split('\r\n')
      .map((r) => r.split(','));
    expect(rows[0]).toEqual([
      'host',
      'views',
      'paid_views',
      'gross_revenue_micros',
      'view_refunds',
      'refunded_micros',
      'revenue_micros',
      'platform_fee_micros',
      'net_owed_micros',
    ]);
    const t = s.totals;
    expect(rows.at(-1)).toEqual(
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
      ].map(String),
    );
  });

  it('property: for any summaries over three months, each month\u2019s statement equals the usage API over that month, and the fee is rounded down', async () => {
    const news = await createPublisher('News', ['a.test', 'b.test']);
    const days = ['2026-09-30', '2026-10-01', '2026-10-15', '2026-10-31', '2026-11-01'];
    const summary = fc.record({
      paidViews: fc.nat(50),
      freeViews: fc.nat(50),
      revenueMicros: fc.nat(10_000_000),
      refunds: fc.nat(5),
      refundedMicros: fc.nat(50_000),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ host: fc.constantFrom('a.test', 'b.test'), day: fc.constantFrom(...days), s: summary }), { maxLength: 8 }),
        async (written) => {
          for (const host of ['a.test', 'b.test']) for (const day of days) await env.KV.delete(`usage:${host}:${day}`);
          for (const { host, day, s } of written) {
            await env.KV.put(
              `usage:${host}:${day}`,
              JSON.stringify({
                host,
                date: day,
                views: s.paidViews + s.freeViews,
                paidViews: s.paidViews,
                revenueMicros: s.revenueMicros,
                refunds: s.refunds,
                refundedMicros: s.refundedMicros,
                topPaths: [],
                updatedAt: new Date().toISOString(),
              }),
            );
          }
          for (const month of ['2026-09', '2026-10', '2026-11']) {
            const st = await statementOf(news.publisherId, month);
            const usage = await usageOfMonth(['a.test', 'b.test'], st.from, st.to);
            expect([st.totals.views, st.totals.paidViews, st.totals.revenueMicros]).toEqual([
              usage.views,
              usage.paidViews,
              usage.revenueMicros,
            ]);
            expect(st.totals.grossRevenueMicros - st.totals.refundedMicros).toBe(st.totals.revenueMicros);
            expect(st.totals.platformFeeMicros * 10_000).toBeLessThanOrEqual(st.totals.revenueMicros * st.platformFeeBps);
            expect((st.totals.platformFeeMicros + 1) * 10_000).toBeGreaterThan(st.totals.revenueMicros * st.platformFeeBps);
            expect(st.totals.netOwedMicros).toBe(st.totals.revenueMicros - st.totals.platformFeeMicros);
          }
        },
      ),
      { numRuns: 15 },
    );
  }, 120_000);

  it('are a publisher key\u2019s to read for its own publisher only; a bad month is a 400', async () => {
    const news = await createPublisher('News', ['news.test']);
    const other = await createPublisher('Other', ['other.test']);
    expect((await adminCall(statementUrl(news.publisherId, '2026-11'), { headers: keyAuth(news.apiKey) })).status).toBe(200);
    expect((await adminCall(statementUrl(other.publisherId, '2026-11'), { headers: keyAuth(news.apiKey) })).status).toBe(403);
    for (const month of ['2026-13', '2026-1', 'november', '2026-11-01']) {
      const res = await adminCall(statementUrl(news.publisherId, month), { headers: ADMIN });
      expect(res.status, month).toBe(400);
      expect(await res.json()).toMatchObject({ field: 'month' });
    }
  });
});

describe('payouts', () => {
  it('the operator records payouts; what is owed is the statements\u2019 net owed less the payouts', async () => {
    const news = await createPublisher('News', ['news.test']);
    const month = today().slice(0, 7);
    await env.KV.put(
      `usage:news.test:${today()}`,
      JSON.stringify({
        host: 'news.test',
        date: today(),
        views: 10,
        paidViews: 10,
        revenueMicros: 1_000_000,
        topPaths: [],
        updatedAt: new Date().toISOString(),
      }),
    );
    const s = await statementOf(news.publisherId, month);
    const payoutsUrl = `/__paywall/api/admin/publishers/${news.publisherId}/payouts`;

    const before = await (await adminCall(payoutsUrl, { headers: ADMIN })).json<{ owedMicros: number; accruedMicros: number }>();
    expect(before).toMatchObject({ accruedMicros: s.totals.netOwedMicros, owedMicros: s.totals.netOwedMicros });

    const paid = await adminCall(payoutsUrl, json({ amountMicros: 300_000, paidOn: today(), reference: 'wire 2026-001' }, ADMIN));
    expect(paid.status).toBe(201);
    const again = await adminCall(payoutsUrl, json({ amountMicros: 300_000, paidOn: today(), reference: 'wire 2026-001' }, ADMIN));
    expect(again.status).toBe(409);

    const after = await (await adminCall(payoutsUrl, { headers: keyAuth(news.apiKey) })).json<{
      owedMicros: number;
      paidMicros: number;
      payouts: { reference: string }[];
    }>();
    expect(after).toMatchObject({ paidMicros: 300_000, owedMicros: s.totals.netOwedMicros - 300_000 });
    expect(after.payouts.map((p) => p.reference)).toEqual(['wire 2026-001']);
  });

  it('only the operator records them; bad bodies are a 400 naming the field; nothing changes', async () => {
    const news = await createPublisher('News', ['news.test']);
    const payoutsUrl = `/__paywall/api/admin/publishers/${news.publisherId}/payouts`;
    expect(
      (await adminCall(payoutsUrl, json({ amountMicros: 5, paidOn: '2026-11-01', reference: 'mine' }, keyAuth(news.apiKey)))).status,
    ).toBe(403);
    for (const [body, field] of [
      [{ paidOn: '2026-11-01', reference: 'r' }, 'amountMicros'],
      [{ amountMicros: 0, paidOn: '2026-11-01', reference: 'r' }, 'amountMicros'],
      [{ amountMicros: 1.5, paidOn: '2026-11-01', reference: 'r' }, 'amountMicros'],
      [{ amountMicros: '5', paidOn: '2026-11-01', reference: 'r' }, 'amountMicros'],
      [{ amountMicros: 5, paidOn: '2026-02-30', reference: 'r' }, 'paidOn'],
      [{ amountMicros: 5, reference: 'r' }, 'paidOn'],
      [{ amountMicros: 5, paidOn: '2026-11-01', reference: ' ' }, 'reference'],
    ] as const) {
      const res = await adminCall(payoutsUrl, json(body, ADMIN));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await res.json<{ field: string }>()).field, JSON.stringify(body)).toBe(field);
    }
    const owed = await (await adminCall(payoutsUrl, { headers: ADMIN })).json<{ payouts: unknown[] }>();
    expect(owed.payouts).toEqual([]);
  });
});

describe('the console', () => {
  it('lists what each publisher is owed and serves a month\u2019s statement as the same CSV as the API', async () => {
    const { signIn, page } = await import('../support/admin-console');
    const news = await createPublisher('News', ['news.test']);
    await env.KV.put(
      `usage:news.test:${today()}`,
      JSON.stringify({
        host: 'news.test',
        date: today(),
        views: 3,
        paidViews: 2,
        revenueMicros: 123_456,
        topPaths: [],
        updatedAt: new Date().toISOString(),
      }),
    );
    const cookie = await signIn();
    const { status, html } = await page('/__paywall/admin/publishers', cookie);
    expect(status).toBe(200);
    const month = today().slice(0, 7);
    const s = await statementOf(news.publisherId, month);
    expect(html).toContain(`href="/__paywall/admin/publishers/${news.publisherId}/statements/${month}.csv"`);
    const { usdForPeople } = await import('../../src/money');
    const owedCell = new RegExp(`data-testid="publisher-${news.publisherId}"[\\s\\S]*?data-testid="owed"><strong>([^<]*)<`).exec(html);
    expect(owedCell?.[1]).toBe(usdForPeople(s.totals.netOwedMicros));
    const download = await page(`/__paywall/admin/publishers/${news.publisherId}/statements/${month}.csv`, cookie);
    expect(download.res.headers.get('content-disposition')).toContain('attachment');
    const api = await adminCall(statementUrl(news.publisherId, month), { headers: { ...ADMIN, accept: 'text/csv' } });
    expect(download.html).toBe(await api.text());
  });
});
