import { reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ERROR_CODES } from '../../src/http/app-error';
import { adminCall, call, HOST, newReader, useStandardSite, WALLET_HOST, walletCall, walletCookie } from '../support/paywall';

afterEach(() => {
  vi.restoreAllMocks();
  return reset();
});

const form = (fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', origin: `http://${WALLET_HOST}`, ...headers },
  body: new URLSearchParams(fields),
});

describe('one error type, rendered by one onError', () => {
  it('answers JSON with a code from the table, and the status the table gives it', async () => {
    const reader = await newReader();
    const answers = [
      await adminCall('/__paywall/api/admin/sites/news.test'),
      await adminCall('/__paywall/api/admin/sites/NOT_A_HOST', { headers: { authorization: 'Bearer test-admin-token' } }),
      await walletCall('/__paywall/api/no-such-endpoint'),
      await call('/__paywall/api/me/settings', {
        method: 'PUT',
        headers: { ...reader.auth, 'content-type': 'application/json' },
        body: '{',
      }),
    ];
    for (const res of answers) {
      expect(res.headers.get('content-type')).toContain('application/json');
      const body = await res.json<{ error: string; message: string }>();
      expect(Object.keys(ERROR_CODES)).toContain(body.error);
      expect(res.status, body.error).toBe(ERROR_CODES[body.error as keyof typeof ERROR_CODES]);
      expect(body.message).toBeTypeOf('string');
    }
  });

  it('refuses an admin call without a good token with the WWW-Authenticate bearerAuth sends', async () => {
    const none = await adminCall('/__paywall/api/admin/sites/news.test');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm=""');
    expect(await none.json()).toMatchObject({ error: 'unauthorized' });
    const wrong = await adminCall('/__paywall/api/admin/sites/news.test', { headers: { authorization: 'Bearer wrong' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    const malformed = await adminCall('/__paywall/api/admin/sites/news.test', { headers: { authorization: 'Basic abc' } });
    expect(malformed.status).toBe(401);
    expect(malformed.headers.get('www-authenticate')).toBe('Bearer error="invalid_request"');
  });

  it('shows a page, not JSON or plain text, for a form over its limit, with the page headers', async () => {
    const reader = await newReader();
    const res = await walletCall('/__paywall/account/cap', form({ dailyCap: 'x'.repeat(20 * 1024) }, walletCookie(reader)));
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await res.text()).toContain('The form is too large.');
  });

  it("shows the console's own page for a console form over its limit", async () => {
    const res = await adminCall('/__paywall/admin/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://admin.test' },
      body: new URLSearchParams({ token: 'x'.repeat(5 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const page = await res.text();
    expect(page).toContain('The form is too large.');
    expect(page).toContain('Back to the console');
  });

  it('shows a page for a receipt that is not in the wallet', async () => {
    const reader = await newReader();
    const res = await walletCall(`/__paywall/account/receipts/${crypto.randomUUID()}`, { headers: walletCookie(reader) });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('No such receipt in your account.');
  });

  it('shows the connect page for a link to a site that is not on the network', async () => {
    await useStandardSite();
    const res = await walletCall('/__paywall/connect?site=nowhere.test&return=/');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('text/html');
    const page = await res.text();
    expect(page).toContain('This link cannot connect a site');
    expect(page).toContain('No site on this network goes by that name.');
    const fine = await walletCall(`/__paywall/connect?site=${HOST}&return=/`);
    expect(fine.status).toBe(200);
  });
});

describe('log lines', () => {
  it('are one JSON object each, with the request id: the cf-ray when Cloudflare sent one', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    await env.KV.put(`usage:${HOST}:2026-01-02`, '{"views":"lots"}');
    const res = await adminCall(`/__paywall/api/admin/usage/${HOST}?from=2026-01-01&to=2026-01-03`, {
      headers: { authorization: 'Bearer test-admin-token', 'cf-ray': '8f1e2d3c4b5a6978-LHR' },
    });
    expect(res.status).toBe(500);
    const lines = error.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'error', event: 'usage_summary_invalid', requestId: '8f1e2d3c4b5a6978-LHR', host: HOST }),
    );
  });

  it('carry a fresh id where there is no cf-ray, and a client cannot choose it', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    await env.KV.put(`usage:${HOST}:2026-01-02`, '{"views":"lots"}');
    for (const headers of [{}, { 'x-request-id': 'chosen-by-the-client' }, { 'cf-ray': 'not a ray id, "forged": 1' }] as Record<
      string,
      string
    >[]) {
      await adminCall(`/__paywall/api/admin/usage/${HOST}?from=2026-01-01&to=2026-01-03`, {
        headers: { authorization: 'Bearer test-admin-token', ...headers },
      });
    }
    const ids = error.mock.calls.map((args) => (JSON.parse(String(args[0])) as { requestId?: string }).requestId);
    expect(ids).toHaveLength(3);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(3);
  });
});
