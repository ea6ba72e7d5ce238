import { reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, HOST, adminCall, STANDARD_RULES, call, json, newReader, putSite, siteDoc } from '../support/paywall';

afterEach(() => reset());

type Entry = {
  id: number;
  at: string;
  via: string;
  sessionId: string | null;
  action: string;
  host: string | null;
  readerId: string | null;
  before: unknown;
  after: unknown;
  detail: Record<string, unknown> | null;
};

async function audit(query = ''): Promise<{ entries: Entry[]; nextBefore: number | null }> {
  const res = await adminCall(`/__paywall/api/admin/audit${query}`, { headers: ADMIN });
  expect(res.status).toBe(200);
  return res.json();
}

describe('admin audit log', () => {
  it('records every site write with when, how, which site, and the document before and after', async () => {
    const first = siteDoc([{ pattern: '/a/*', priceMicros: 100 }]);
    const second = siteDoc([{ pattern: '/a/*', priceMicros: 200 }]);
    const t0 = Date.now();
    expect((await putSite(first)).status).toBe(200);
    expect((await putSite(second)).status).toBe(200);
    expect((await adminCall(`/__paywall/api/admin/sites/${HOST}`, { method: 'DELETE', headers: ADMIN })).status).toBe(204);

    const { entries } = await audit(`?host=${HOST}`);
    expect(entries.map((e) => e.action)).toEqual(['site.delete', 'site.put', 'site.put']);
    const [del, put2, put1] = entries as [Entry, Entry, Entry];
    expect(put1).toMatchObject({ via: 'api', host: HOST, before: null, after: first, sessionId: null });
    expect(put2).toMatchObject({ before: first, after: second });
    expect(del).toMatchObject({ before: second, after: null });
    expect(Date.parse(put1.at)).toBeGreaterThanOrEqual(t0 - 1000);
    expect(put1.id).toBeLessThan(put2.id);
  });

  it('records nothing for a refused document, and the document in KV is unchanged', async () => {
    await putSite(siteDoc([{ pattern: '/a/*', priceMicros: 100 }]));
    const res = await putSite(siteDoc([{ pattern: 'no-slash', priceMicros: 1.5 }]));
    expect(res.status).toBe(400);
    const { entries } = await audit();
    expect(entries).toHaveLength(1);
    expect(JSON.parse((await env.KV.get(`site:${HOST}`))!)).toEqual(siteDoc([{ pattern: '/a/*', priceMicros: 100 }]));
  });

  it('records an admin credit once, with the balance before and after, however often its Idempotency-Key is sent', async () => {
    const reader = await newReader(1000);
    for (let i = 0; i < 3; i++) {
      const res = await adminCall(
        `/__paywall/api/admin/readers/${reader.readerId}/credit`,
        json({ amountMicros: 5000, reason: 'goodwill' }, { ...ADMIN, 'idempotency-key': 'credit-1' }),
      );
      expect(res.status).toBe(200);
    }
    const { entries } = await audit();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      action: 'reader.credit',
      readerId: reader.readerId,
      host: null,
      before: { balanceMicros: 1000 },
      after: { balanceMicros: 6000 },
      detail: { amountMicros: 5000, reason: 'goodwill', idempotencyKey: 'credit-1' },
    });
  });

  it('loses no entry when many admins write at once', async () => {
    const writes = Array.from({ length: 30 }, (_, i) =>
      putSite(siteDoc([{ pattern: '/p/*', priceMicros: i }], `site${i % 3}.test`), `site${i % 3}.test`),
    );
    expect((await Promise.all(writes)).map((r) => r.status)).toEqual(Array(30).fill(200));
    const all = await audit('?limit=100');
    expect(all.entries).toHaveLength(30);
    expect(new Set(all.entries.map((e) => e.id)).size).toBe(30);
    expect(new Set(all.entries.map((e) => (e.after as { rules: { priceMicros: number }[] }).rules[0]!.priceMicros))).toEqual(
      new Set(Array.from({ length: 30 }, (_, i) => i)),
    );
    const one = await audit('?host=site1.test&limit=100');
    expect(one.entries).toHaveLength(10);
    expect(one.entries.every((e) => e.host === 'site1.test')).toBe(true);
  });

  it('pages newest first with limit and before', async () => {
    for (let i = 0; i < 5; i++) await putSite(siteDoc([{ pattern: '/p/*', priceMicros: i }]));
    const first = await audit('?limit=2');
    expect(first.entries.map((e) => (e.after as { rules: { priceMicros: number }[] }).rules[0]!.priceMicros)).toEqual([4, 3]);
    const second = await audit(`?limit=2&before=${first.nextBefore}`);
    expect(second.entries.map((e) => (e.after as { rules: { priceMicros: number }[] }).rules[0]!.priceMicros)).toEqual([2, 1]);
    const last = await audit(`?limit=2&before=${second.nextBefore}`);
    expect(last.entries).toHaveLength(1);
    expect(last.nextBefore).toBeNull();
  });

  it('keeps a 10,000-rule document whole: left out of listings, complete by id', async () => {
    const rules = Array.from({ length: 10_000 }, (_, i) => ({ pattern: `/section-${i}/:slug`, priceMicros: i, reviewWindowSeconds: 3600 }));
    expect((await putSite(siteDoc(rules))).status).toBe(200);
    const { entries } = await audit();
    expect(entries[0]!.after).toMatchObject({ omitted: true });
    const res = await adminCall(`/__paywall/api/admin/audit/${entries[0]!.id}`, { headers: ADMIN });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Entry).after).toEqual(siteDoc(rules));
  });

  it('needs the admin token and validates its query', async () => {
    expect((await adminCall('/__paywall/api/admin/audit')).status).toBe(401);
    for (const q of ['?limit=0', '?limit=101', '?limit=x', '?host=Bad_Host', '?before=-1']) {
      const res = await adminCall(`/__paywall/api/admin/audit${q}`, { headers: ADMIN });
      expect(res.status, q).toBe(400);
    }
    expect((await adminCall('/__paywall/api/admin/audit/999', { headers: ADMIN })).status).toBe(404);
  });
});

it('a document put straight into KV prices views, as wrangler kv key put would write it', async () => {
  // A host this worker has never served: a direct KV write has no cache to go through (a change reaches served hosts within 60 s).
  const host = 'kv-direct.test';
  await env.KV.put(`site:${host}`, JSON.stringify(siteDoc(STANDARD_RULES, host)));
  const res = await call('/articles/hello', { headers: { accept: 'application/json' } }, host);
  expect(res.status).toBe(402);
  expect(res.headers.get('paywall-price-micros')).toBe('2500');
});
