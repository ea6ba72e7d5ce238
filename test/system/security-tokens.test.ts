import { reset, runInDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { issueToken, verifyToken } from '../../src/reader/reader-token';
import { ADMIN, HOST, adminCall, balanceOf, call, json, newReader, putSite, siteDoc, view, type Reader } from '../support/paywall';
import { chargedOf, echoOf, expectConserved, SECURITY_RULES, useSecuritySite } from '../support/security';

/** Reader tokens and the admin token: who may spend a balance, who may set prices. */

let alice: Reader;
let bob: Reader;
const saved = { ...env };

beforeEach(async () => {
  await useSecuritySite();
  alice = await newReader(100_000);
  bob = await newReader(100_000);
});
afterEach(async () => {
  Object.assign(env, saved);
  if (!('TOKEN_SECRET_PREVIOUS' in saved)) delete env.TOKEN_SECRET_PREVIOUS;
  await reset();
});

const me = (authorization: string) => call('/__paywall/api/me', { headers: { authorization } });
const DAY = 86_400_000;

async function expectRefusedToken(token: string, what: string) {
  const res = await me(`Bearer ${token}`);
  expect(res.status, what).toBe(401);
  expect((await res.json<{ error: string }>()).error).toBe('unauthorized');
  // On a view, a refused token is no reader at all: a 402 that knows no balance.
  const viewed = await view('/premium/x', null, { authorization: `Bearer ${token}` });
  expect(viewed.status, what).toBe(402);
  expect((await viewed.json<{ balanceMicros: unknown }>()).balanceMicros).toBeNull();
}

function withPart(token: string, index: number, part: string): string {
  const parts = token.split('.');
  parts[index] = part;
  return parts.join('.');
}

describe('reader tokens', () => {
  it('a token signed with another secret is refused', async () => {
    const forged = await issueToken({ TOKEN_SECRET: 'attacker-chosen-secret-0123456789' } as Env, alice.readerId);
    await expectRefusedToken(forged, 'forged');
  });

  it("a token tampered with is refused: another reader's id, a later expiry, a changed signature", async () => {
    const [, exp, sig] = alice.token.split('.') as [string, string, string];
    await expectRefusedToken(withPart(alice.token, 0, bob.readerId), "bob's id under alice's signature");
    await expectRefusedToken(withPart(alice.token, 1, String(Number(exp) + 1)), 'later expiry');
    await expectRefusedToken(withPart(alice.token, 1, `0${exp}`), 'same expiry, written differently');
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    await expectRefusedToken(withPart(alice.token, 2, flip(sig, 0)), 'first signature character changed');
    await expectRefusedToken(withPart(alice.token, 2, flip(sig, sig.length - 2)), 'a late signature character changed');
    await expectRefusedToken(withPart(alice.token, 2, sig.slice(0, -1)), 'signature cut short');
    await expectRefusedToken(`${alice.token}.extra`, 'a fourth part');
    await expectRefusedToken(withPart(alice.token, 2, ''), 'no signature');
    expect(await balanceOf(alice)).toBe(100_000);
    expect(await balanceOf(bob)).toBe(100_000);
  });

  it('an expired token is refused', async () => {
    const expired = await issueToken(env, alice.readerId, Date.now() - 366 * DAY);
    await expectRefusedToken(expired, 'expired a day ago');
    const justValid = await issueToken(env, alice.readerId, Date.now() - 364 * DAY);
    expect((await me(`Bearer ${justValid}`)).status).toBe(200);
  });

  it('malformed tokens and Authorization headers are a 401, never a 500', async () => {
    const headers = [
      '',
      'Bearer',
      'Bearer ',
      'Basic dXNlcjpwYXNz',
      `Bearer ${'a'.repeat(5000)}`,
      'Bearer a.b',
      'Bearer ...',
      'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJyXzEifQ.',
      `Bearer ${alice.token} ${alice.token}`,
      `bearer${alice.token}`,
      `Bearer ${alice.readerId}.99999999999999.${'A'.repeat(43)}`,
      `Bearer ${alice.readerId}.-1.${'A'.repeat(43)}`,
      `Bearer ${alice.readerId}.1e12.${'A'.repeat(43)}`,
      'Bearer r_\u00e9\u00e9\u00e9.1.x',
      `Token ${alice.token}`,
    ];
    for (const h of headers) {
      const res = await call('/__paywall/api/me', { headers: h ? { authorization: h } : {} });
      expect(res.status, JSON.stringify(h.slice(0, 60))).toBe(401);
    }
    const cookie = await call('/__paywall/api/me', { headers: { cookie: 'paywall_token=%E0%A4%A' } });
    expect(cookie.status).toBe(401);
  });

  it('rotating TOKEN_SECRET keeps readers signed in while the old one is TOKEN_SECRET_PREVIOUS', async () => {
    const oldSecret = env.TOKEN_SECRET!;
    env.TOKEN_SECRET = 'rotated-token-secret-fedcba9876543210';
    env.TOKEN_SECRET_PREVIOUS = oldSecret;
    expect((await me(alice.auth.authorization)).status).toBe(200);
    expect(chargedOf(await view('/premium/rotated', alice))).toBe(10000);
    const carol = await newReader();
    expect(await verifyToken({ TOKEN_SECRET: env.TOKEN_SECRET } as Env, carol.token)).toBe(carol.readerId);
    expect(await verifyToken({ TOKEN_SECRET: oldSecret } as Env, carol.token)).toBeNull();
    await expectConserved(alice, 90_000);
  });

  it('once the previous secret is retired, the tokens it signed are refused', async () => {
    env.TOKEN_SECRET = 'rotated-token-secret-fedcba9876543210';
    delete env.TOKEN_SECRET_PREVIOUS;
    await expectRefusedToken(alice.token, 'signed with the retired secret');
    const current = await issueToken(env, alice.readerId);
    expect((await me(`Bearer ${current}`)).status).toBe(200);
  });

  it('a signature is checked by crypto.subtle.verify, which compares in constant time', async () => {
    const verify = vi.spyOn(crypto.subtle, 'verify');
    const tampered = withPart(alice.token, 2, `${alice.token.split('.')[2]!.slice(0, -2)}AA`);
    expect(await verifyToken(env, tampered)).toBeNull();
    expect(verify).toHaveBeenCalled();
    expect(verify.mock.calls.every(([algorithm]) => algorithm === 'HMAC')).toBe(true);
    verify.mockRestore();
  });

  it("a reader's token spends only that reader's balance, and Idempotency-Keys are the reader's own", async () => {
    const key = { 'idempotency-key': 'shared-key' };
    const a = await view('/premium/k', alice, key);
    const b = await view('/premium/k', bob, key);
    expect(chargedOf(a)).toBe(10000);
    expect(chargedOf(b)).toBe(10000);
    expect(b.headers.get('paywall-receipt')).not.toBe(a.headers.get('paywall-receipt'));
    expect(b.headers.get('idempotency-replayed')).toBeNull();
    await expectConserved(alice, 90_000);
    await expectConserved(bob, 90_000);
  });

  it('the token cookie is HttpOnly, SameSite=Lax, whole-site, and Secure over https', async () => {
    const res = await exports.default.fetch(new Request(`https://${HOST}/__paywall/api/readers`, { method: 'POST' }));
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^paywall_token=/);
    for (const attribute of ['HttpOnly', 'SameSite=Lax', 'Path=/', 'Secure']) expect(cookie).toContain(attribute);
  });
});

describe("another site's page", () => {
  it("can make a reader's browser view a priced page, which is charged as a view, never beyond the daily cap", async () => {
    const capped = await call('/__paywall/api/me/settings', { ...json({ dailyCapMicros: 20_000 }, alice.auth), method: 'PUT' });
    expect(capped.status).toBe(200);
    // A top-level navigation is the only cross-site request that carries a SameSite=Lax cookie.
    const navigate = (path: string) =>
      call(path, {
        headers: {
          cookie: `paywall_token=${alice.token}`,
          'sec-fetch-site': 'cross-site',
          'sec-fetch-mode': 'navigate',
          accept: 'application/json',
        },
      });
    expect(chargedOf(await navigate('/premium/1'))).toBe(10_000);
    expect(chargedOf(await navigate('/premium/2'))).toBe(10_000);
    const third = await navigate('/premium/3');
    expect(third.status).toBe(402);
    expect((await third.json<{ error: string }>()).error).toBe('daily_cap_reached');
    await expectConserved(alice, 80_000);
  });
});

describe('admin', () => {
  const WRONG = [
    undefined,
    'Bearer wrong-admin-token',
    'Bearer TEST-ADMIN-TOKEN',
    'Bearer test-admin-toke',
    'Bearer test-admin-tokenx',
    'Basic dGVzdC1hZG1pbi10b2tlbg==',
    'test-admin-token',
    `Bearer ${'x'.repeat(10_000)}`,
    'Bearer test admin token',
  ];

  async function expectNoAdmin(authorization: string | undefined, what: string) {
    const headers: Record<string, string> = authorization ? { authorization } : {};
    const before = await adminCall(`/__paywall/api/admin/sites/${HOST}`, { headers: ADMIN }).then((r) => r.text());
    const calls: [string, RequestInit][] = [
      [`/__paywall/api/admin/sites/${HOST}`, { headers }],
      [
        `/__paywall/api/admin/sites/${HOST}`,
        {
          method: 'PUT',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify(siteDoc([{ pattern: '/*', priceMicros: 0 }])),
        },
      ],
      [`/__paywall/api/admin/sites/${HOST}`, { method: 'DELETE', headers }],
      [`/__paywall/api/admin/readers/${alice.readerId}/credit`, json({ amountMicros: 1_000_000, reason: 'free money' }, headers)],
      [`/__paywall/api/admin/usage/${HOST}?from=2026-01-01&to=2026-01-02`, { headers }],
    ];
    for (const [path, init] of calls) {
      const res = await adminCall(path, init);
      expect(res.status, `${what}: ${init.method ?? 'GET'} ${path}`).toBe(401);
      const body = await res.text();
      if (authorization) expect(body).not.toContain(authorization.slice(7, 40));
    }
    expect(await adminCall(`/__paywall/api/admin/sites/${HOST}`, { headers: ADMIN }).then((r) => r.text())).toBe(before);
    expect(await balanceOf(alice)).toBe(100_000);
  }

  it('every admin call without the exact admin token is a 401, and nothing changes', async () => {
    for (const authorization of WRONG) await expectNoAdmin(authorization, String(authorization).slice(0, 30));
  });

  it('with ADMIN_TOKEN unset, nobody is an admin', async () => {
    delete env.ADMIN_TOKEN;
    for (const authorization of ['Bearer test-admin-token', 'Bearer undefined', 'Bearer ', undefined]) {
      const res = await adminCall(`/__paywall/api/admin/sites/${HOST}`, { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
    }
    Object.assign(env, saved);
    expect((await putSite(siteDoc(SECURITY_RULES))).status).toBe(200);
  });

  it('the admin token is compared by digest in constant time (Hono timingSafeEqual), never by ===', async () => {
    const digest = vi.spyOn(crypto.subtle, 'digest');
    const res = await adminCall(`/__paywall/api/admin/sites/${HOST}`, { headers: { authorization: 'Bearer test-admin-tokex' } });
    expect(res.status).toBe(401);
    const sha256 = digest.mock.calls.filter(([algorithm]) => (typeof algorithm === 'string' ? algorithm : algorithm.name) === 'SHA-256');
    expect(sha256.length).toBeGreaterThanOrEqual(2); // both sides hashed, then the digests compared
    digest.mockRestore();
  });

  it('the admin token sent on a view never reaches the origin', async () => {
    const echo = await echoOf(await call('/free/x', { headers: ADMIN }));
    expect(JSON.stringify(echo)).not.toContain('test-admin-token');
  });
});

describe('secrets stay secret', () => {
  it('no secret or token appears in a log line or in an answer the Worker makes', async () => {
    const secrets = [
      env.TOKEN_SECRET!,
      env.ADMIN_TOKEN!,
      env.ORIGIN_SECRET!,
      env.STRIPE_WEBHOOK_SECRET!,
      alice.token,
      alice.token.split('.')[2]!,
    ];
    const logged: unknown[] = [];
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(...args)),
    );
    const answers: string[] = [];
    const record = async (res: Response) => {
      answers.push([...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n'));
      // Bodies the Worker wrote itself; the test origin echoes its request, secret included.
      const body = await res.text();
      const fromOrigin = body.startsWith('{"method"') && body.includes('"headers":');
      if (!fromOrigin) answers.push(body);
    };
    const auth = alice.auth;
    await record(await adminCall(`/__paywall/api/admin/sites/${HOST}`, { headers: { authorization: `Bearer ${env.TOKEN_SECRET}` } }));
    await record(await call('/__paywall/api/me', { headers: { authorization: `Bearer ${alice.token}x` } }));
    await record(
      await call('/__paywall/api/me/settings', {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{"dailyCapMicros":',
      }),
    );
    await record(await call('/__paywall/api/dev/topup', json({ amountMicros: 1e400 }, auth)));
    await record(
      await call('/__paywall/api/dev/topup', { method: 'POST', headers: { ...auth, 'content-length': '99999' }, body: 'x'.repeat(99_999) }),
    );
    await record(await view('/premium/x', alice, { 'paywall-max-price-micros': 'nope' }));
    await record(await view('/status/500/paid', alice));
    await record(await view('/slow/paid', alice));
    await record(await view('/reset/paid', alice));
    await record(await view('/premium/x', null, { accept: 'text/html' }));
    const stub = env.WALLET.get(env.WALLET.idFromName(alice.readerId));
    await runInDurableObject(stub, (_w, state) =>
      state.storage.sql.exec(
        "CREATE TRIGGER fail_charges BEFORE INSERT ON ledger WHEN NEW.type = 'charge' BEGIN SELECT RAISE(ABORT, 'storage fault'); END",
      ),
    );
    await record(await view('/premium/fault', alice));
    await env.KV.put(`site:${HOST}`, `{"host":"${HOST}","origin":`);
    const { dropCachedSite } = await import('../../src/rules/site-store');
    dropCachedSite(HOST);
    await record(await view('/premium/x', alice));
    spies.forEach((s) => s.mockRestore());

    const text = [
      ...answers,
      ...logged.map((x) => (x instanceof Error ? `${x.message}\n${x.stack}` : typeof x === 'string' ? x : JSON.stringify(x))),
    ].join('\n');
    expect(logged.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(text.includes(secret), `a secret leaked: ${secret.slice(0, 6)}…`).toBe(false);
  });
});
