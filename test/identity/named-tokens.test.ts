import { reset } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, json, readToEnd } from '../support/paywall';
import { get, newWallet, NEWS, OTHER, twoPublishers, WALLET, walletForm } from './support';

afterEach(() => reset());
beforeEach(() => twoPublishers());

const mint = (session: string, body: unknown) =>
  call('/__paywall/api/me/tokens', json(body, { cookie: session, origin: `http://${WALLET}` }), WALLET);
const viewWith = async (token: string, path: string, host: string) =>
  readToEnd(await call(path, { headers: { accept: 'application/json', authorization: `Bearer ${token}` } }, host));

describe('named tokens for a reader’s own scripts', () => {
  it('pay on every publisher within their own daily cap, and stop at once when revoked', async () => {
    const { session } = await newWallet(1_000_000);
    const made = await mint(session, { name: 'digest bot', dailyCapMicros: 12_500 });
    expect(made.status).toBe(201);
    const { token, tokenId } = await made.json<{ token: string; tokenId: string }>();

    expect((await viewWith(token, '/premium/a', NEWS)).status).toBe(200);
    const capped = await viewWith(token, '/premium/b', OTHER);
    expect(capped.status).toBe(402);
    expect((await capped.json<{ error: string }>()).error).toBe('daily_cap_reached');
    // What is left under its cap still pays.
    expect((await viewWith(token, '/articles/a', OTHER)).status).toBe(200);

    const listed = await (await call('/__paywall/api/me/tokens', { headers: { cookie: session } }, WALLET)).json<{
      tokens: { name: string; spentTodayMicros: number }[];
    }>();
    expect(listed.tokens).toEqual([expect.objectContaining({ name: 'digest bot', spentTodayMicros: 12_500 })]);

    expect(
      (
        await call(
          `/__paywall/api/me/tokens/${tokenId}`,
          { method: 'DELETE', headers: { cookie: session, origin: `http://${WALLET}` } },
          WALLET,
        )
      ).status,
    ).toBe(204);
    const revoked = await viewWith(token, '/articles/b', NEWS);
    expect(revoked.status).toBe(402);
    const me = await (await call('/__paywall/api/me', { headers: { cookie: session } }, WALLET)).json<{ balanceMicros: number }>();
    expect(me.balanceMicros).toBe(1_000_000 - 10_000 - 2_500);
  });

  it('can change nothing: no settings, no top-up, no more tokens, no history', async () => {
    const { session } = await newWallet(100_000);
    const { token } = await (await mint(session, { name: 'script', dailyCapMicros: null })).json<{ token: string }>();
    const auth = { authorization: `Bearer ${token}` };
    expect((await call('/__paywall/api/me/settings', { ...json({ dailyCapMicros: null }, auth), method: 'PUT' }, WALLET)).status).toBe(403);
    expect((await call('/__paywall/api/dev/topup', json({ amountMicros: 1000 }, auth), NEWS)).status).toBe(403);
    expect((await call('/__paywall/api/me/tokens', json({ name: 'more', dailyCapMicros: null }, auth), WALLET)).status).toBe(403);
    expect((await call('/__paywall/api/me/ledger', { headers: auth }, NEWS)).status).toBe(403);
    expect((await call('/__paywall/api/me', { headers: auth }, NEWS)).status).toBe(200);
  });

  it('bad input is a 400 naming the field, and makes no token', async () => {
    const { session } = await newWallet(0);
    for (const body of [
      { name: '', dailyCapMicros: null },
      { name: 'x', dailyCapMicros: 1.5 },
      { name: 'x' },
      { name: 'a\u0000b', dailyCapMicros: null },
      { name: 'x', dailyCapMicros: null, extra: 1 },
    ]) {
      expect((await mint(session, body)).status, JSON.stringify(body)).toBe(400);
    }
    const listed = await (await call('/__paywall/api/me/tokens', { headers: { cookie: session } }, WALLET)).json<{ tokens: unknown[] }>();
    expect(listed.tokens).toEqual([]);
  });

  it('the wallet page makes a token, shows it once, and revokes it', async () => {
    const { session } = await newWallet(0);
    const made = await walletForm('/__paywall/account/tokens', { name: 'my reader app', dailyCap: '0.50' }, session);
    expect(made.status).toBe(200);
    const html = await made.text();
    const token = /data-testid="new-token-value">([^<]+)</.exec(html)![1]!;
    expect((await call('/__paywall/api/me', { headers: { authorization: `Bearer ${token}` } }, NEWS)).status).toBe(200);
    const page = await (await get('/__paywall/account', WALLET, session)).text();
    expect(page).toContain('my reader app');
    expect(page).toContain('cap $0.50 a day');
    expect(page).not.toContain(token);
    const id = /name="id" value="([\w-]{22})"/.exec(page.slice(page.indexOf('tokens-heading')))![1]!;
    expect((await walletForm('/__paywall/account/tokens/revoke', { id }, session)).status).toBe(303);
    expect((await call('/__paywall/api/me', { headers: { authorization: `Bearer ${token}` } }, NEWS)).status).toBe(401);
  });
});

describe('a named token on the wallet host’s own pages', () => {
  it('cannot add a passkey, change the cap by the form, connect a publisher or link a crawler: those are the signed-in reader’s', async () => {
    const { session } = await newWallet(100_000);
    const { token } = await (await mint(session, { name: 'script', dailyCapMicros: 1000 })).json<{ token: string }>();
    const bearer = { authorization: `Bearer ${token}`, origin: `http://${WALLET}` };
    const form = (path: string, fields: Record<string, string>) =>
      call(
        path,
        {
          method: 'POST',
          redirect: 'manual',
          headers: { ...bearer, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(fields).toString(),
        },
        WALLET,
      );

    expect((await call('/__paywall/account/passkeys/register-options', { method: 'POST', headers: bearer }, WALLET)).status).toBe(401);
    await form('/__paywall/account/cap', { dailyCap: '' });
    await form('/__paywall/account/tokens', { name: 'more', dailyCap: '' });
    const connect = await form('/__paywall/connect', { site: NEWS, return: '/', decision: 'allow' });
    expect(connect.headers.get('location') ?? '').not.toContain('/__paywall/connect/callback');
    expect((await form('/__paywall/account/crawlers/link', { directory: 'https://crawler.example', jwk: '' })).status).toBe(303);

    const me = await (await call('/__paywall/api/me', { headers: { cookie: session } }, WALLET)).json<{ dailyCapMicros: number | null }>();
    expect(me.dailyCapMicros).toBeNull();
    const tokens = await (await call('/__paywall/api/me/tokens', { headers: { cookie: session } }, WALLET)).json<{ tokens: unknown[] }>();
    expect(tokens.tokens).toHaveLength(1);
    const links = await (await call('/__paywall/api/me/crawler-keys', { headers: { cookie: session } }, WALLET)).json<{
      links: unknown[];
    }>();
    expect(links.links).toEqual([]);
    expect(await (await get('/__paywall/account', WALLET, session)).text()).not.toContain(`data-testid="site-${NEWS}"`);
  });
});
