import { createExecutionContext, reset, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { app } from '../../src/app';
import {
  ADMIN,
  ADMIN_HOST,
  HOST,
  adminCall,
  STANDARD_RULES,
  balanceOf,
  json,
  ledgerOf,
  newReader,
  putSite,
  siteDoc,
  view,
} from '../support/paywall';

afterEach(() => reset());

const sitesUrl = (host = HOST) => `/__paywall/api/admin/sites/${host}`;

describe('admin authentication', () => {
  it('401s every admin call without the admin token, or with a wrong or malformed one', async () => {
    const reader = await newReader();
    for (const headers of [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: 'Bearer' },
      { authorization: 'test-admin-token' },
      reader.auth,
    ]) {
      for (const [method, url, body] of [
        ['GET', sitesUrl(), undefined],
        ['PUT', sitesUrl(), JSON.stringify(siteDoc(STANDARD_RULES))],
        ['DELETE', sitesUrl(), undefined],
        ['POST', `/__paywall/api/admin/readers/${reader.readerId}/credit`, '{"amountMicros":5,"reason":"x"}'],
      ] as const) {
        const res = await adminCall(url, { method, headers: { ...headers, 'content-type': 'application/json' }, body });
        expect(res.status, `${method} ${url} ${JSON.stringify(headers)}`).toBe(401);
      }
    }
    expect((await adminCall(sitesUrl(), { headers: ADMIN })).status).toBe(404);
    expect(await balanceOf(reader)).toBe(0);
  });

  it('refuses admin calls while ADMIN_TOKEN is unset', async () => {
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(`http://${ADMIN_HOST}${sitesUrl()}`, { headers: { authorization: 'Bearer undefined' } }),
      { ...env, ADMIN_TOKEN: undefined },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(401);
  });
});

describe('sites API', () => {
  it('writes a valid document, answers it back, and puts it in force for the next request', async () => {
    const doc = siteDoc([{ pattern: '/x/*', priceMicros: 1234 }]);
    const put = await putSite(doc);
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual(doc);
    const got = await adminCall(sitesUrl(), { headers: ADMIN });
    expect(await got.json()).toEqual(doc);
    expect((await view('/x/1', null)).headers.get('paywall-price-micros')).toBe('1234');

    await putSite(siteDoc([{ pattern: '/x/*', priceMicros: 99 }]));
    expect((await view('/x/1', null)).headers.get('paywall-price-micros')).toBe('99');
  });

  it('validates the whole document: 400 invalid_site listing every issue, and nothing written', async () => {
    await putSite(siteDoc([{ pattern: '/x/*', priceMicros: 5 }]));
    const bad = {
      host: HOST,
      origin: 'ftp://origin.test',
      rules: [
        { pattern: 'no-slash', priceMicros: 1 },
        { pattern: '/ok', priceMicros: 1.5 },
        { pattern: '/ok2', priceMicros: -3, reviewWindowSeconds: 0 },
        { pattern: '/(unclosed', priceMicros: 1 },
        { pattern: '/ok3', priceMicros: 1, extra: true },
      ],
    };
    const res = await adminCall(sitesUrl(), { ...json(bad, ADMIN), method: 'PUT' });
    expect(res.status).toBe(400);
    const body = await res.json<{ error: string; issues: { path: string; message: string }[] }>();
    expect(body.error).toBe('invalid_site');
    const paths = body.issues.map((i) => i.path);
    for (const p of [
      'origin',
      'rules.0.pattern',
      'rules.1.priceMicros',
      'rules.2.priceMicros',
      'rules.2.reviewWindowSeconds',
      'rules.3.pattern',
      'rules.4',
    ]) {
      expect(paths, p).toContain(p);
    }
    expect((await view('/x/1', null)).headers.get('paywall-price-micros')).toBe('5');
    expect(await (await adminCall(sitesUrl(), { headers: ADMIN })).json()).toEqual(siteDoc([{ pattern: '/x/*', priceMicros: 5 }]));
  });

  it('refuses a document for another host, a non-JSON body, and a bad host in the URL', async () => {
    const other = await adminCall(sitesUrl(), { ...json(siteDoc([], 'other.test'), ADMIN), method: 'PUT' });
    expect(other.status).toBe(400);
    expect((await other.json<{ issues: { path: string }[] }>()).issues.map((i) => i.path)).toContain('host');
    const notJson = await adminCall(sitesUrl(), {
      method: 'PUT',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(notJson.status).toBe(400);
    expect((await notJson.json<{ error: string }>()).error).toBe('invalid_site');
    expect((await adminCall(sitesUrl('Bad_Host'), { headers: ADMIN })).status).toBe(400);
    expect((await adminCall(sitesUrl(), { headers: ADMIN })).status).toBe(404);
  });

  it('deletes a site: 204, then 404, and its paths are no longer served', async () => {
    await putSite(siteDoc(STANDARD_RULES));
    const del = await adminCall(sitesUrl(), { method: 'DELETE', headers: ADMIN });
    expect(del.status).toBe(204);
    expect((await adminCall(sitesUrl(), { headers: ADMIN })).status).toBe(404);
    expect((await view('/premium/a', null)).status).toBe(404);
  });

  it('accepts a large site of 10,000 rules', async () => {
    const rules = Array.from({ length: 10_000 }, (_, i) => ({ pattern: `/section-${i}/:slug`, priceMicros: i }));
    expect((await putSite(siteDoc(rules))).status).toBe(200);
    expect((await view('/section-9999/x', null)).headers.get('paywall-price-micros')).toBe('9999');
    expect((await view('/section-42/x/', null)).headers.get('paywall-price-micros')).toBe('42');
  });
});

describe('admin credit', () => {
  it('credits a reader and answers the balance', async () => {
    const reader = await newReader(1000);
    const res = await adminCall(
      `/__paywall/api/admin/readers/${reader.readerId}/credit`,
      json({ amountMicros: 5000, reason: 'goodwill' }, ADMIN),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ balanceMicros: 6000 });
    const [entry] = await ledgerOf(reader);
    expect(entry).toMatchObject({ type: 'credit', amountMicros: 5000, balanceAfterMicros: 6000, reason: 'goodwill' });
  });

  it('credits once per Idempotency-Key, however often and concurrently it is sent', async () => {
    const reader = await newReader();
    const send = () =>
      adminCall(
        `/__paywall/api/admin/readers/${reader.readerId}/credit`,
        json({ amountMicros: 700, reason: 'r' }, { ...ADMIN, 'idempotency-key': 'credit-1' }),
      );
    const results = await Promise.all([send(), send(), send(), send()]);
    for (const r of results) expect(await r.json()).toEqual({ balanceMicros: 700 });
    expect(await balanceOf(reader)).toBe(700);
  });

  it('refuses bad amounts and reasons with a 400 naming the field, and unknown readers with 404', async () => {
    const reader = await newReader();
    const url = `/__paywall/api/admin/readers/${reader.readerId}/credit`;
    for (const [body, field] of [
      ['{"amountMicros": 1.5, "reason": "x"}', 'amountMicros'],
      ['{"amountMicros": "5", "reason": "x"}', 'amountMicros'],
      ['{"amountMicros": -5, "reason": "x"}', 'amountMicros'],
      ['{"amountMicros": 1e400, "reason": "x"}', 'amountMicros'],
      ['{"amountMicros": 5}', 'reason'],
    ] as const) {
      const res = await adminCall(url, { method: 'POST', headers: { ...ADMIN, 'content-type': 'application/json' }, body });
      expect(res.status, body).toBe(400);
      expect((await res.json<{ field: string }>()).field, body).toBe(field);
    }
    expect(await balanceOf(reader)).toBe(0);
    expect(
      (await adminCall('/__paywall/api/admin/readers/r_AAAAAAAAAAAAAAAAAAAAAA/credit', json({ amountMicros: 5, reason: 'x' }, ADMIN)))
        .status,
    ).toBe(404);
    expect((await adminCall('/__paywall/api/admin/readers/nobody/credit', json({ amountMicros: 5, reason: 'x' }, ADMIN))).status).toBe(404);
  });
});
