import { createExecutionContext, reset, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { app } from '../../src/app';
import { ADMIN, ADMIN_HOST, HOST, adminCall, balanceOf, call, json, newReader, putSite, siteDoc, STANDARD_RULES } from '../support/paywall';
import { CONSOLE, signIn } from '../support/admin-console';

afterEach(() => reset());

const sitesUrl = `/__paywall/api/admin/sites/${HOST}`;
const doc = siteDoc(STANDARD_RULES);

/** Every admin route, as [method, path, body]. */
function adminRoutes(readerId: string): [string, string, string | undefined][] {
  return [
    ['GET', CONSOLE, undefined],
    ['GET', `${CONSOLE}/sites`, undefined],
    ['POST', `${CONSOLE}/sign-in`, undefined],
    ['GET', sitesUrl, undefined],
    ['PUT', sitesUrl, JSON.stringify(siteDoc([{ pattern: '/*', priceMicros: 0 }]))],
    ['DELETE', sitesUrl, undefined],
    ['GET', `/__paywall/api/admin/usage/${HOST}?from=2026-01-01&to=2026-01-02`, undefined],
    ['GET', '/__paywall/api/admin/audit', undefined],
    ['POST', `/__paywall/api/admin/readers/${readerId}/credit`, JSON.stringify({ amountMicros: 400_000_000, reason: 'xss' })],
    ['POST', '/__paywall/api/admin/publishers', JSON.stringify({ name: 'Evil', hosts: ['evil.test'] })],
  ];
}

async function withEnv(url: string, init: RequestInit, overrides: Partial<Env>): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(url, init), { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe('ADMIN_HOST', () => {
  it('the console and every admin API route are a 404 on a publisher host, with the admin token or the console cookie, and nothing changes', async () => {
    await putSite(doc);
    const reader = await newReader();
    const cookie = await signIn();
    for (const [method, path, body] of adminRoutes(reader.readerId)) {
      for (const headers of [ADMIN, { cookie, origin: `http://${HOST}`, 'sec-fetch-site': 'same-origin' }]) {
        const res = await call(path, { method, headers: { ...headers, 'content-type': 'application/json' }, body });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(await res.json(), `${method} ${path}`).toMatchObject({ error: 'not_found' });
      }
    }
    expect(await balanceOf(reader)).toBe(0);
    expect(await (await adminCall(sitesUrl, { headers: ADMIN })).json()).toEqual(doc);
    const audit = await (await adminCall('/__paywall/api/admin/audit', { headers: ADMIN })).json<{ entries: unknown[] }>();
    expect(audit.entries).toHaveLength(1); // the putSite above, nothing from the publisher host
  });

  it('is a 404 on the DEFAULT_SITE fallback host too', async () => {
    await putSite(doc);
    const reader = await newReader();
    for (const [method, path, body] of adminRoutes(reader.readerId)) {
      const res = await withEnv(
        `http://unknown.test${path}`,
        { method, headers: { ...ADMIN, 'content-type': 'application/json' }, body },
        { DEFAULT_SITE: HOST },
      );
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    // The fallback host does serve the default site's pages.
    expect((await withEnv('http://unknown.test/free/x', {}, { DEFAULT_SITE: HOST })).status).toBe(200);
    expect(await balanceOf(reader)).toBe(0);
  });

  it('compares the host name only: a port, upper case or a trailing dot on the admin host is still the admin host', async () => {
    await putSite(doc);
    for (const host of [`${ADMIN_HOST}:8443`, ADMIN_HOST.toUpperCase(), `${ADMIN_HOST}.`]) {
      const res = await call(sitesUrl, { headers: ADMIN }, host);
      expect(res.status, host).toBe(200);
      expect(await res.json()).toEqual(doc);
    }
    // ADMIN_HOST itself may be written with a port.
    expect((await withEnv(`http://${ADMIN_HOST}${sitesUrl}`, { headers: ADMIN }, { ADMIN_HOST: `${ADMIN_HOST}:8787` })).status).toBe(200);
    // A host that merely contains the admin host's name is another host.
    for (const host of [`x${ADMIN_HOST}`, `${ADMIN_HOST}.evil.example`, `evil.${ADMIN_HOST}`]) {
      expect((await call(sitesUrl, { headers: ADMIN }, host)).status, host).toBe(404);
    }
  });

  it('serves the console on the admin host, and its session works only there', async () => {
    const cookie = await signIn();
    expect((await adminCall(CONSOLE, { headers: { cookie } })).status).toBe(200);
    expect((await call(CONSOLE, { headers: { cookie } })).status).toBe(404);
  });

  it('with ADMIN_HOST unset, the console and admin API are served on no host', async () => {
    const reader = await newReader();
    for (const host of [ADMIN_HOST, HOST]) {
      for (const [method, path, body] of adminRoutes(reader.readerId)) {
        const res = await withEnv(
          `http://${host}${path}`,
          { method, headers: { ...ADMIN, 'content-type': 'application/json' }, body },
          { ADMIN_HOST: undefined },
        );
        expect(res.status, `${host} ${method} ${path}`).toBe(404);
      }
    }
    expect(await balanceOf(reader)).toBe(0);
  });

  it('leaves readers and bearer-token clients working on every host, the admin host included', async () => {
    await putSite(doc);
    for (const host of [HOST, ADMIN_HOST]) {
      expect((await call('/__paywall/healthz', {}, host)).status).toBe(200);
      const created = await call('/__paywall/api/readers', { method: 'POST' }, host);
      expect(created.status).toBe(201);
      const { token } = await created.json<{ token: string }>();
      expect((await call('/__paywall/api/dev/topup', json({ amountMicros: 5 }, { authorization: `Bearer ${token}` }), host)).status).toBe(
        200,
      );
    }
  });
});
