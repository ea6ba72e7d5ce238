import { createExecutionContext, reset, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { app } from '../../src/app';
import { issueToken } from '../../src/reader/reader-token';
import { balanceOf, call, json, ledgerOf, newReader, topUp, useStandardSite, view } from '../support/paywall';

afterEach(() => reset());

const BAD_AMOUNTS: [string, string][] = [
  ['a float', '{"amountMicros": 1.5}'],
  ['a string', '{"amountMicros": "1000"}'],
  ['a negative', '{"amountMicros": -1}'],
  ['1e400', '{"amountMicros": 1e400}'],
  ['beyond the safe integers', '{"amountMicros": 9007199254740993}'],
  ['missing', '{}'],
];

describe('POST /__paywall/api/readers', () => {
  it('answers 201 with a reader id and token, and sets the same token as an HttpOnly cookie', async () => {
    const res = await call('/__paywall/api/readers', { method: 'POST' });
    expect(res.status).toBe(201);
    const body = await res.json<{ readerId: string; token: string }>();
    expect(body.readerId).toMatch(/^r_/);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toContain(`paywall_token=${body.token}`);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
  });

  it('gives every reader their own id', async () => {
    const [a, b] = await Promise.all([newReader(), newReader()]);
    expect(a.readerId).not.toBe(b.readerId);
  });
});

describe('GET /__paywall/api/me', () => {
  it('answers the balance and an unset daily cap as null, by bearer token or cookie', async () => {
    const reader = await newReader();
    const byBearer = await call('/__paywall/api/me', { headers: reader.auth });
    expect(await byBearer.json()).toEqual({
      readerId: reader.readerId,
      balanceMicros: 0,
      dailyCapMicros: null,
      spentTodayMicros: 0,
      askAboveMicros: null,
    });
    const byCookie = await call('/__paywall/api/me', { headers: { cookie: `other=1; paywall_token=${reader.token}` } });
    expect(byCookie.status).toBe(200);
    expect((await byCookie.json<{ readerId: string }>()).readerId).toBe(reader.readerId);
  });

  it('is 401 for a missing, malformed, forged, tampered or expired token', async () => {
    const reader = await newReader();
    const [id, exp, sig] = reader.token.split('.') as [string, string, string];
    const other = await newReader();
    const expired = await issueToken(env, reader.readerId, Date.now() - 400 * 86_400_000);
    const forgedSecret = await issueToken({ ...env, TOKEN_SECRET: 'someone-elses-secret-0123456789' }, reader.readerId);
    const cases: Record<string, Record<string, string>> = {
      missing: {},
      malformed: { authorization: 'Bearer not-a-token' },
      'not bearer': { authorization: `Basic ${reader.token}` },
      'forged secret': { authorization: `Bearer ${forgedSecret}` },
      'another reader’s signature': { authorization: `Bearer ${other.readerId}.${exp}.${sig}` },
      'extended expiry': { authorization: `Bearer ${id}.${Number(exp) + 1}.${sig}` },
      'signature respelled in its spare bits': { authorization: `Bearer ${id}.${exp}.${respellLastCharacter(sig)}` },
      expired: { authorization: `Bearer ${expired}` },
      'bad cookie': { cookie: 'paywall_token=garbage' },
    };
    for (const [name, headers] of Object.entries(cases)) {
      const res = await call('/__paywall/api/me', { headers });
      expect(res.status, name).toBe(401);
      expect((await res.json<{ error: string }>()).error, name).toBe('unauthorized');
    }
  });
});

describe('PUT /__paywall/api/me/settings', () => {
  it('sets and clears the daily cap, answering the /me body', async () => {
    const reader = await newReader();
    const set = await call('/__paywall/api/me/settings', { ...json({ dailyCapMicros: 5000 }, reader.auth), method: 'PUT' });
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({
      readerId: reader.readerId,
      balanceMicros: 0,
      dailyCapMicros: 5000,
      spentTodayMicros: 0,
      askAboveMicros: null,
    });
    const cleared = await call('/__paywall/api/me/settings', { ...json({ dailyCapMicros: null }, reader.auth), method: 'PUT' });
    expect((await cleared.json<{ dailyCapMicros: null }>()).dailyCapMicros).toBeNull();
  });

  it('refuses a bad cap with a 400 naming the field, and changes nothing', async () => {
    const reader = await newReader();
    await call('/__paywall/api/me/settings', { ...json({ dailyCapMicros: 7000 }, reader.auth), method: 'PUT' });
    for (const [name, body] of [...BAD_AMOUNTS.filter(([n]) => n !== 'missing'), ['not JSON', '{dailyCap']] as [string, string][]) {
      const res = await call('/__paywall/api/me/settings', {
        method: 'PUT',
        headers: { ...reader.auth, 'content-type': 'application/json' },
        body: body.replace('amountMicros', 'dailyCapMicros'),
      });
      expect(res.status, name).toBe(400);
      const err = await res.json<{ error: string; field?: string }>();
      if (name !== 'not JSON') expect(err.field, name).toBe('dailyCapMicros');
    }
    const me = await call('/__paywall/api/me', { headers: reader.auth });
    expect((await me.json<{ dailyCapMicros: number }>()).dailyCapMicros).toBe(7000);
  });

  it('is 401 without a reader', async () => {
    const res = await call('/__paywall/api/me/settings', { ...json({ dailyCapMicros: 1 }), method: 'PUT' });
    expect(res.status).toBe(401);
  });
});

describe('GET /__paywall/api/me/ledger', () => {
  it('lists entries newest first with running balances, and pages', async () => {
    await useStandardSite();
    const reader = await newReader(10_000);
    await view('/articles/one', reader);
    await view('/premium/report', reader, {}, 'GET'); // 10,000 > 7,500 left: refused, not in the ledger
    await topUp(reader, 20_000);
    const entries = await ledgerOf(reader);
    expect(entries.map((e) => [e.type, e.amountMicros, e.balanceAfterMicros])).toEqual([
      ['topup', 20_000, 27_500],
      ['charge', 2_500, 7_500],
      ['topup', 10_000, 10_000],
    ]);
    expect(entries[1]!.path).toBe('/articles/one');
    for (const e of entries) expect(new Date(e.at).toISOString()).toBe(e.at);

    const page1 = await call('/__paywall/api/me/ledger?limit=2', { headers: reader.auth });
    const p1 = await page1.json<{ entries: { id: string }[]; nextBefore: number }>();
    expect(p1.entries).toHaveLength(2);
    const page2 = await call(`/__paywall/api/me/ledger?limit=2&before=${p1.nextBefore}`, { headers: reader.auth });
    const p2 = await page2.json<{ entries: { id: string }[]; nextBefore: null }>();
    expect(p2.entries.map((e) => e.id)).toEqual([entries[2]!.id]);
    expect(p2.nextBefore).toBeNull();
  });

  it('is 401 without a reader and 400 for a bad limit', async () => {
    expect((await call('/__paywall/api/me/ledger')).status).toBe(401);
    const reader = await newReader();
    expect((await call('/__paywall/api/me/ledger?limit=0', { headers: reader.auth })).status).toBe(400);
    expect((await call('/__paywall/api/me/ledger?limit=abc', { headers: reader.auth })).status).toBe(400);
  });
});

describe('POST /__paywall/api/dev/topup', () => {
  it('credits the reader and answers the balance', async () => {
    const reader = await newReader();
    const res = await call('/__paywall/api/dev/topup', json({ amountMicros: 123_456 }, reader.auth));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ balanceMicros: 123_456 });
    expect(await balanceOf(reader)).toBe(123_456);
  });

  it('refuses bad amounts with a 400 naming the field, crediting nothing', async () => {
    const reader = await newReader(1000);
    for (const [name, body] of BAD_AMOUNTS) {
      const res = await call('/__paywall/api/dev/topup', {
        method: 'POST',
        headers: { ...reader.auth, 'content-type': 'application/json' },
        body,
      });
      expect(res.status, name).toBe(400);
      expect((await res.json<{ field: string }>()).field, name).toBe('amountMicros');
    }
    expect(await balanceOf(reader)).toBe(1000);
  });

  it('needs a reader', async () => {
    expect((await call('/__paywall/api/dev/topup', json({ amountMicros: 1 }))).status).toBe(401);
  });

  it('does not exist unless DEV_TOPUP is "true"', async () => {
    const reader = await newReader();
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request('http://news.test/__paywall/api/dev/topup', json({ amountMicros: 1000 }, reader.auth)),
      { ...env, DEV_TOPUP: 'false' },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(404);
    expect(await balanceOf(reader)).toBe(0);
  });
});

describe('healthz', () => {
  it('answers 200 once the worker serves', async () => {
    expect((await call('/__paywall/healthz')).status).toBe(200);
  });
});

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The same 32 bytes spelled differently: the last of 43 characters carries 2 bits a decoder may ignore. */
function respellLastCharacter(sig: string): string {
  return sig.slice(0, -1) + BASE64URL[BASE64URL.indexOf(sig.at(-1)!) ^ 1];
}
