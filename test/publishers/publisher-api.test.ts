import { reset } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, ADMIN_HOST, adminCall, balanceOf, json, newReader, putSite, siteDoc, STANDARD_RULES } from '../support/paywall';
import { createPublisher, keyAuth } from '../support/publishers';

afterEach(() => reset());

const sites = (host: string) => `/__paywall/api/admin/sites/${host}`;

describe('POST /__paywall/api/admin/publishers', () => {
  it('creates a publisher with its hosts and answers its API key once; the registry keeps only a digest', async () => {
    const res = await adminCall('/__paywall/api/admin/publishers', json({ name: 'News Co', hosts: ['news.test', 'www.news.test'] }, ADMIN));
    expect(res.status).toBe(201);
    const body = await res.json<{ publisherId: string; apiKey: string }>();
    expect(body.publisherId).toMatch(/^pub_/);
    expect(body.apiKey).toMatch(/^pk_[A-Za-z0-9_-]{43}$/);
    const got = await adminCall(`/__paywall/api/admin/publishers/${body.publisherId}`, { headers: ADMIN });
    const publisher = await got.json<{ name: string; hosts: string[]; keys: { name: string; lastUsedAt: string | null }[] }>();
    expect(publisher).toMatchObject({ name: 'News Co', hosts: ['news.test', 'www.news.test'] });
    expect(JSON.stringify(publisher)).not.toContain(body.apiKey);
    expect(publisher.keys).toHaveLength(1);
  });

  it('refuses bad bodies with a 400 naming the field, and creates nothing', async () => {
    for (const [body, field] of [
      [{}, 'name'],
      [{ name: '', hosts: ['a.test'] }, 'name'],
      [{ name: 7, hosts: ['a.test'] }, 'name'],
      [{ name: 'x'.repeat(201), hosts: ['a.test'] }, 'name'],
      [{ name: 'A' }, 'hosts'],
      [{ name: 'A', hosts: [] }, 'hosts'],
      [{ name: 'A', hosts: 'a.test' }, 'hosts'],
      [{ name: 'A', hosts: ['A.TEST'] }, 'hosts.0'],
      [{ name: 'A', hosts: ['a.test', 'b.test/x'] }, 'hosts.1'],
      [{ name: 'A', hosts: ['a.test', 'a.test'] }, 'hosts.1'],
      [{ name: 'A', hosts: [ADMIN_HOST] }, 'hosts.0'],
      [{ name: 'A', hosts: ['a.test'], extra: 1 }, ''],
    ] as const) {
      const res = await adminCall('/__paywall/api/admin/publishers', json(body, ADMIN));
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = await res.json<{ field?: string; message: string }>();
      if (field) expect(error.field, JSON.stringify(body)).toBe(field);
    }
    for (const text of ['{', 'null', '[]', '"x"']) {
      const res = await adminCall('/__paywall/api/admin/publishers', {
        method: 'POST',
        headers: { ...ADMIN, 'content-type': 'application/json' },
        body: text,
      });
      expect(res.status, text).toBe(400);
    }
    expect(
      (await (await adminCall('/__paywall/api/admin/publishers', { headers: ADMIN })).json<{ publishers: unknown[] }>()).publishers,
    ).toEqual([]);
  });

  it('refuses a host that another publisher owns with a 409, and creates nothing', async () => {
    await createPublisher('First', ['news.test']);
    const res = await adminCall('/__paywall/api/admin/publishers', json({ name: 'Second', hosts: ['other.test', 'news.test'] }, ADMIN));
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: 'host_taken', field: 'hosts.1' });
    const { publishers } = await (await adminCall('/__paywall/api/admin/publishers', { headers: ADMIN })).json<{
      publishers: { name: string }[];
    }>();
    expect(publishers.map((p) => p.name)).toEqual(['First']);
  });

  it('is the operator\u2019s alone: a publisher key gets a 403 and nothing is created', async () => {
    const news = await createPublisher('News', ['news.test']);
    const res = await adminCall('/__paywall/api/admin/publishers', json({ name: 'Mine', hosts: ['mine.test'] }, keyAuth(news.apiKey)));
    expect(res.status).toBe(403);
    expect((await adminCall('/__paywall/api/admin/publishers', { headers: keyAuth(news.apiKey) })).status).toBe(403);
    const { publishers } = await (await adminCall('/__paywall/api/admin/publishers', { headers: ADMIN })).json<{ publishers: unknown[] }>();
    expect(publishers).toHaveLength(1);
  });
});

describe('a publisher API key', () => {
  it('reads and writes its own hosts\u2019 sites and usage; another host is a 403 and nothing changes', async () => {
    const news = await createPublisher('News', ['news.test']);
    await createPublisher('Other', ['other.test']);
    await putSite(siteDoc(STANDARD_RULES, 'other.test'), 'other.test');
    const mine = keyAuth(news.apiKey);

    const put = await adminCall(sites('news.test'), { ...json(siteDoc(STANDARD_RULES, 'news.test'), mine), method: 'PUT' });
    expect(put.status).toBe(200);
    expect((await adminCall(sites('news.test'), { headers: mine })).status).toBe(200);
    expect((await adminCall('/__paywall/api/admin/usage/news.test?from=2026-01-01&to=2026-01-02', { headers: mine })).status).toBe(200);

    const before = await (await adminCall(sites('other.test'), { headers: ADMIN })).text();
    for (const [method, path, body] of [
      ['GET', sites('other.test'), undefined],
      ['PUT', sites('other.test'), JSON.stringify(siteDoc([{ pattern: '/*', priceMicros: 0 }], 'other.test'))],
      ['DELETE', sites('other.test'), undefined],
      ['GET', `${sites('other.test')}/origin-secret`, undefined],
      ['GET', '/__paywall/api/admin/usage/other.test?from=2026-01-01&to=2026-01-02', undefined],
      ['PUT', sites('nobody.test'), JSON.stringify(siteDoc([], 'nobody.test'))],
      ['GET', '/__paywall/api/admin/audit?host=other.test', undefined],
    ] as const) {
      const res = await adminCall(path, { method, headers: { ...mine, 'content-type': 'application/json' }, body });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    expect(await (await adminCall(sites('other.test'), { headers: ADMIN })).text()).toBe(before);
    expect((await adminCall(sites('nobody.test'), { headers: ADMIN })).status).toBe(404);
  });

  it('cannot credit a reader or touch another publisher\u2019s record or keys', async () => {
    const news = await createPublisher('News', ['news.test']);
    const other = await createPublisher('Other', ['other.test']);
    const reader = await newReader();
    const mine = keyAuth(news.apiKey);
    const credit = await adminCall(
      `/__paywall/api/admin/readers/${reader.readerId}/credit`,
      json({ amountMicros: 400_000_000, reason: 'mine' }, mine),
    );
    expect(credit.status).toBe(403);
    expect(await balanceOf(reader)).toBe(0);
    expect((await adminCall(`/__paywall/api/admin/publishers/${other.publisherId}`, { headers: mine })).status).toBe(403);
    expect((await adminCall(`/__paywall/api/admin/publishers/${other.publisherId}/keys`, json({ name: 'stolen' }, mine))).status).toBe(403);
    expect(
      (await adminCall(`/__paywall/api/admin/publishers/${other.publisherId}/keys/${other.keyId}`, { method: 'DELETE', headers: mine }))
        .status,
    ).toBe(403);
    // The other publisher's key still works.
    expect((await adminCall(`/__paywall/api/admin/publishers/${other.publisherId}`, { headers: keyAuth(other.apiKey) })).status).toBe(200);
    const { keys } = await (await adminCall(`/__paywall/api/admin/publishers/${other.publisherId}/keys`, { headers: ADMIN })).json<{
      keys: unknown[];
    }>();
    expect(keys).toHaveLength(1);
  });

  it('manages its own keys: several, named, with when each was last used; a revoked key fails at once', async () => {
    const news = await createPublisher('News', ['news.test']);
    const first = keyAuth(news.apiKey);
    const made = await adminCall(`/__paywall/api/admin/publishers/${news.publisherId}/keys`, json({ name: 'CI deploys' }, first));
    expect(made.status).toBe(201);
    const second = await made.json<{ keyId: string; name: string; apiKey: string }>();
    expect(second.name).toBe('CI deploys');
    expect((await adminCall(sites('news.test'), { headers: keyAuth(second.apiKey) })).status).toBe(404); // no site yet, but allowed

    const { keys } = await (await adminCall(`/__paywall/api/admin/publishers/${news.publisherId}/keys`, { headers: first })).json<{
      keys: { keyId: string; name: string; lastUsedAt: string | null; revokedAt: string | null }[];
    }>();
    expect(keys.map((k) => k.name)).toEqual(['first key', 'CI deploys']);
    expect(keys.every((k) => k.lastUsedAt !== null)).toBe(true);
    expect(JSON.stringify(keys)).not.toContain(second.apiKey);

    const revoked = await adminCall(`/__paywall/api/admin/publishers/${news.publisherId}/keys/${second.keyId}`, {
      method: 'DELETE',
      headers: first,
    });
    expect(revoked.status).toBe(200);
    expect((await revoked.json<{ revokedAt: string | null }>()).revokedAt).not.toBeNull();
    const refused = await adminCall(sites('news.test'), { headers: keyAuth(second.apiKey) });
    expect(refused.status).toBe(401);
    expect((await adminCall(sites('news.test'), { headers: first })).status).toBe(404);
  });

  it('a key that was never issued, or is malformed, is a 401', async () => {
    await createPublisher('News', ['news.test']);
    for (const authorization of [`Bearer pk_${'A'.repeat(43)}`, 'Bearer pk_short', 'Bearer pk_', `Bearer ${'pk_'.repeat(30)}`]) {
      expect((await adminCall(sites('news.test'), { headers: { authorization } })).status, authorization).toBe(401);
    }
  });
});
