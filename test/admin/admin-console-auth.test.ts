import { reset } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { serializeSigned } from 'hono/utils/cookie';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_HOST, HOST, adminCall, putSite, siteDoc } from '../support/paywall';
import { CONSOLE, page, postForm, signIn } from '../support/admin-console';

afterEach(() => reset());

const sitesUrl = `/__paywall/api/admin/sites/${HOST}`;
const doc = siteDoc([{ pattern: '/a/*', priceMicros: 7 }]);

/** The console's session signing key, derived from the admin token as the worker derives it. */
async function sessionKey(adminToken: string) {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(adminToken), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  return crypto.subtle.sign('HMAC', key, new TextEncoder().encode('edge-paywall admin console session v1'));
}

describe('console sign-in', () => {
  it('shows the sign-in form to a visitor without a session', async () => {
    const { status, html } = await page(CONSOLE, '');
    expect(status).toBe(401);
    expect(html).toContain('<label for="token">Admin token</label>');
  });

  it('tells a wrong token plainly, slowly, and sets no cookie; the API slows a wrong bearer token too', async () => {
    env.WRONG_ADMIN_TOKEN_DELAY_MS = '1000';
    try {
      let started = Date.now();
      const res = await postForm(`${CONSOLE}/sign-in`, { token: 'guess', next: CONSOLE }, { 'cf-connecting-ip': '198.51.100.7' });
      expect(res.status).toBe(401);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(await res.text()).toContain('That is not the admin token.');
      expect(res.headers.get('set-cookie')).toBeNull();

      started = Date.now();
      expect((await adminCall(sitesUrl, { headers: { authorization: 'Bearer guess' } })).status).toBe(401);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      started = Date.now();
      expect((await adminCall(sitesUrl, { headers: { authorization: 'Bearer test-admin-token' } })).status).toBe(404);
      expect(Date.now() - started).toBeLessThan(900);
    } finally {
      env.WRONG_ADMIN_TOKEN_DELAY_MS = '0';
    }
  });

  it('limits sign-in attempts per client, even with the right token once over the limit', async () => {
    const client = { 'cf-connecting-ip': '198.51.100.99' };
    const wrong = await Promise.all(Array.from({ length: 10 }, () => postForm(`${CONSOLE}/sign-in`, { token: 'guess' }, client)));
    expect(wrong.map((r) => r.status)).toEqual(Array(10).fill(401));
    const blocked = await postForm(`${CONSOLE}/sign-in`, { token: 'test-admin-token' }, client);
    expect(blocked.status).toBe(429);
    expect(await blocked.text()).toContain('Too many sign-in attempts');
    // Another client is not affected.
    expect((await postForm(`${CONSOLE}/sign-in`, { token: 'test-admin-token' }, { 'cf-connecting-ip': '198.51.100.100' })).status).toBe(
      303,
    );
  });

  it('sets an HttpOnly, SameSite=Strict session cookie that is not the token, Secure over https', async () => {
    const res = await postForm(`${CONSOLE}/sign-in`, { token: 'test-admin-token', next: `${CONSOLE}/audit` });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${CONSOLE}/audit`);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^paywall_admin=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\/__paywall\//);
    expect(cookie).not.toMatch(/Secure/i);
    expect(decodeURIComponent(cookie)).not.toContain('test-admin-token');

    // Over https the cookie is Secure.
    const secure = await exports.default.fetch(
      new Request(`https://${ADMIN_HOST}${CONSOLE}/sign-in`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: `https://${ADMIN_HOST}` },
        body: new URLSearchParams({ token: 'test-admin-token' }),
      }),
    );
    expect(secure.status).toBe(303);
    expect(secure.headers.get('set-cookie')).toMatch(/;\s*Secure/i);
  });

  it('only sends an admin back into the console after signing in', async () => {
    for (const next of ['https://evil.example/', '//evil.example', '/__paywall/api/admin/sites/x', '/__paywall/admin//evil']) {
      const res = await postForm(`${CONSOLE}/sign-in`, { token: 'test-admin-token', next });
      expect(res.headers.get('location'), next).toBe(CONSOLE);
    }
  });

  it('signs out: the cookie is cleared', async () => {
    const cookie = await signIn();
    const res = await postForm(`${CONSOLE}/sign-out`, {}, { cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).toMatch(/paywall_admin=;.*Max-Age=0/i);
  });

  it('refuses a forged, expired or foreign session cookie', async () => {
    const cookie = await signIn();
    const [name, value] = cookie.split('=') as [string, string];
    const tampered = `${name}=${value.replace(/\.(\d+)\./, (_m, d: string) => `.${Number(d) + 1000}.`)}`;
    const expired = await serializeSigned(
      'paywall_admin',
      `${crypto.randomUUID()}.${Math.floor(Date.now() / 1000) - 1}`,
      await sessionKey('test-admin-token'),
    );
    const foreign = await serializeSigned(
      'paywall_admin',
      `${crypto.randomUUID()}.${Math.floor(Date.now() / 1000) + 3600}`,
      await sessionKey('another-token'),
    );
    const valid = await serializeSigned(
      'paywall_admin',
      `${crypto.randomUUID()}.${Math.floor(Date.now() / 1000) + 3600}`,
      await sessionKey('test-admin-token'),
    );
    for (const bad of [tampered, expired.split(';')[0]!, foreign.split(';')[0]!, 'paywall_admin=test-admin-token']) {
      expect((await page(CONSOLE, bad)).status, bad).toBe(401);
      expect((await adminCall(sitesUrl, { headers: { cookie: bad } })).status, bad).toBe(401);
    }
    expect((await page(CONSOLE, valid.split(';')[0]!)).status).toBe(200);
  });
});

describe('the admin API with the console cookie', () => {
  it('accepts the cookie for reads and for same-origin changes, recorded as the console', async () => {
    const cookie = await signIn();
    const put = await adminCall(sitesUrl, {
      method: 'PUT',
      headers: { cookie, 'content-type': 'application/json', origin: `http://${ADMIN_HOST}` },
      body: JSON.stringify(doc),
    });
    expect(put.status).toBe(200);
    expect(await (await adminCall(sitesUrl, { headers: { cookie } })).json()).toEqual(doc);
    const audit = await (await adminCall('/__paywall/api/admin/audit', { headers: { cookie } })).json<{
      entries: { via: string; sessionId: string }[];
    }>();
    expect(audit.entries[0]).toMatchObject({ via: 'console', sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it('refuses a change sent with the cookie from another site, or from nowhere it can tell', async () => {
    await putSite(doc);
    const cookie = await signIn();
    for (const headers of <Record<string, string>[]>[
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      { 'sec-fetch-site': 'same-site' },
      {},
    ]) {
      for (const [method, body, type] of [
        ['PUT', JSON.stringify(siteDoc([])), 'application/json'],
        ['PUT', JSON.stringify(siteDoc([])), 'text/plain'],
        ['DELETE', undefined, 'application/json'],
      ] as const) {
        const res = await adminCall(sitesUrl, { method, headers: { cookie, 'content-type': type, ...headers }, body });
        expect(res.status, `${method} ${type} ${JSON.stringify(headers)}`).toBe(403);
      }
    }
    expect(await (await adminCall(sitesUrl, { headers: { cookie } })).json()).toEqual(doc);
  });

  it('refuses console forms posted from another origin', async () => {
    await putSite(doc);
    const cookie = await signIn();
    const res = await adminCall(`${CONSOLE}/sites/${HOST}`, {
      method: 'POST',
      headers: {
        cookie,
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
      },
      body: new URLSearchParams({
        action: 'save',
        origin: doc.origin,
        pattern: '/a/*',
        price: '9',
        unit: 'usd',
        window: '',
        windowUnit: 'hours',
      }),
    });
    expect(res.status).toBe(403);
    expect(await (await adminCall(sitesUrl, { headers: { cookie } })).json()).toEqual(doc);
  });
});

describe('console pages', () => {
  it('carry a CSP that allows only their own nonce, and the page uses that nonce', async () => {
    await putSite(doc);
    const cookie = await signIn();
    const { res, html } = await page(`${CONSOLE}/sites/${HOST}`, cookie);
    const csp = res.headers.get('content-security-policy')!;
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(html).toContain(`<style nonce="${nonce}">`);
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).not.toMatch(/ style="/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });
});
