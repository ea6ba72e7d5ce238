import { reset, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, json, newReader, readToEnd } from '../support/paywall';
import { codeFor, connect, get, newWallet, NEWS, OTHER, SESSION, twoPublishers, WALLET, walletForm } from './support';

afterEach(() => reset());
beforeEach(() => twoPublishers());

const viewJson = async (path: string, host: string, cookie: string) =>
  readToEnd(await call(path, { headers: { accept: 'application/json', cookie } }, host));
const balance = async (session: string) =>
  (await (await call('/__paywall/api/me', { headers: { cookie: session } }, WALLET)).json<{ balanceMicros: number }>()).balanceMicros;

describe('one wallet, every publisher', () => {
  it('a reader signed in on the wallet host connects two publishers once each and reads on both from one balance', async () => {
    const { session } = await newWallet(1_000_000);
    const news = await connect(session, NEWS);
    const first = await viewJson('/articles/hello', NEWS, news);
    expect(first.status).toBe(200);
    expect(first.headers.get('paywall-charged-micros')).toBe('2500');

    const other = await connect(session, OTHER, '/premium/x');
    const second = await viewJson('/premium/x', OTHER, other);
    expect(second.status).toBe(200);
    expect(second.headers.get('paywall-charged-micros')).toBe('10000');
    expect(await balance(session)).toBe(1_000_000 - 2500 - 10000);

    // Already connected: no consent screen the second time, straight back with a code.
    const again = await connect(session, NEWS, '/articles/other', false);
    expect((await viewJson('/articles/other', NEWS, again)).status).toBe(200);
  });

  it('a reader with no session meets the sign-in page, which comes back to the same connect step', async () => {
    const step = `/__paywall/connect?site=${NEWS}&return=%2Farticles%2Fhello`;
    const page = await get(step, WALLET);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`Continue to ${NEWS} with your wallet`);
    expect(html).toContain(`name="next" value="/__paywall/connect?site=${NEWS}&amp;return=%2Farticles%2Fhello"`);
    const created = await walletForm('/__paywall/account/create', { next: step }, null);
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe(step);
  });

  it('the paywall page on a publisher offers "Continue with your wallet", a plain link to the connect step', async () => {
    const res = await get('/articles/hello', NEWS);
    expect(res.status).toBe(402);
    const html = await res.text();
    expect(html).toContain(`href="http://${WALLET}/__paywall/connect?site=${NEWS}&amp;return=%2Farticles%2Fhello"`);
    expect(html).toContain('Continue with your wallet');
  });
});

describe('connect codes', () => {
  it('a code works once', async () => {
    const { session } = await newWallet(100_000);
    const { url } = await codeFor(session, NEWS);
    expect((await get(url.pathname + url.search, NEWS)).status).toBe(303);
    const replay = await get(url.pathname + url.search, NEWS);
    expect(replay.status).toBe(400);
    expect(replay.headers.getSetCookie().some((c) => c.startsWith('paywall_token='))).toBe(false);
  });

  it('a code works only on the host it was made for, and trying it elsewhere burns it', async () => {
    const { session } = await newWallet(100_000);
    const { url } = await codeFor(session, NEWS);
    expect((await get(url.pathname + url.search, OTHER)).status).toBe(400);
    expect((await get(url.pathname + url.search, NEWS)).status).toBe(400);
  });

  it('a code works only with the return path it was made for', async () => {
    const { session } = await newWallet(100_000);
    const { url } = await codeFor(session, NEWS, '/articles/hello');
    url.searchParams.set('return', '/premium/x');
    expect((await get(url.pathname + url.search, NEWS)).status).toBe(400);
  });

  it('a code expires after a minute', async () => {
    const { session, readerId } = await newWallet(100_000);
    const { url } = await codeFor(session, NEWS);
    await runInDurableObject(env.WALLET.get(env.WALLET.idFromName(readerId)), (_o, state) => {
      state.storage.sql.exec('UPDATE connect_codes SET expires_at = ?', Date.now() - 1);
    });
    expect((await get(url.pathname + url.search, NEWS)).status).toBe(400);
  });

  it('return can never lead off the publisher: the connect step refuses it before anything is made', async () => {
    const { session } = await newWallet(100_000);
    for (const back of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', '/__paywall/api/me']) {
      const res = await get(`/__paywall/connect?${new URLSearchParams({ site: NEWS, return: back })}`, WALLET, session);
      expect(res.status, back).toBe(400);
    }
    for (const site of ['evil.example', WALLET, 'admin.test', 'news.test:80', 'NEWS.TEST', '']) {
      const res = await get(`/__paywall/connect?${new URLSearchParams({ site, return: '/' })}`, WALLET, session);
      expect(res.status, site).toBe(400);
    }
  });

  it('the connect step exists only on the wallet host, the callback only on a publisher host', async () => {
    expect((await get(`/__paywall/connect?site=${NEWS}&return=%2F`, NEWS)).status).toBe(404);
    expect((await get('/__paywall/connect/callback?code=x', WALLET)).status).toBe(404);
  });
});

describe('a publisher host can only spend', () => {
  it('its cookie and its token, as cookie or bearer, cannot change settings, top up, read the history or link keys', async () => {
    const { session } = await newWallet(100_000);
    const cookie = await connect(session, NEWS);
    const token = cookie.split('=')[1]!;
    for (const auth of [{ cookie }, { authorization: `Bearer ${token}` }] as Record<string, string>[]) {
      const same = { ...auth, origin: `http://${NEWS}` };
      expect((await call('/__paywall/api/me/settings', { ...json({ dailyCapMicros: null }, same), method: 'PUT' }, NEWS)).status).toBe(403);
      expect((await call('/__paywall/api/dev/topup', json({ amountMicros: 1_000_000 }, same), NEWS)).status).toBe(403);
      expect((await call('/__paywall/api/topup', json({ amountMicros: 5_000_000 }, same), NEWS)).status).toBe(403);
      expect((await call('/__paywall/api/me/ledger', { headers: auth }, NEWS)).status).toBe(403);
      expect((await call('/__paywall/api/me/withdraw', json({ amountMicros: 1 }, same), NEWS)).status).toBe(403);
      expect([401, 403]).toContain((await call('/__paywall/api/me/crawler-keys', { headers: auth }, NEWS)).status);
      expect((await call('/__paywall/api/readers', { method: 'POST', headers: auth }, NEWS)).status).toBe(201);
      // Reading the balance is allowed: the paywall shows it anyway.
      expect((await call('/__paywall/api/me', { headers: auth }, NEWS)).status).toBe(200);
    }
    expect(await balance(session)).toBe(100_000);
    const me = await (await call('/__paywall/api/me', { headers: { cookie: session } }, WALLET)).json<{ dailyCapMicros: number | null }>();
    expect(me.dailyCapMicros).toBeNull();
  });

  it('a spend token is worth nothing on another publisher', async () => {
    const { session } = await newWallet(100_000);
    const cookie = await connect(session, NEWS);
    expect((await viewJson('/articles/hello', OTHER, cookie)).status).toBe(402);
    expect((await call('/__paywall/api/me', { headers: { cookie } }, OTHER)).status).toBe(401);
    expect(await balance(session)).toBe(100_000);
  });

  it('the wallet host changes settings with its session, and a session cookie is worth nothing on a publisher host', async () => {
    const { session } = await newWallet(100_000);
    const put = await call(
      '/__paywall/api/me/settings',
      { ...json({ dailyCapMicros: 5000 }, { cookie: session, origin: `http://${WALLET}` }), method: 'PUT' },
      WALLET,
    );
    expect(put.status).toBe(200);
    const onPublisher = session.replace(SESSION, 'paywall_token');
    expect((await viewJson('/articles/hello', NEWS, onPublisher)).status).toBe(402);
    expect(await balance(session)).toBe(100_000);
  });

  it('a sibling subdomain planting a second paywall_token (Domain=, longer Path) makes nobody pay', async () => {
    const { session } = await newWallet(100_000);
    const mine = await connect(session, NEWS);
    const attacker = await newReader(100_000);
    const planted = `paywall_token=${attacker.token}; ${mine}`;
    const res = await viewJson('/articles/hello', NEWS, planted);
    expect(res.status).toBe(402);
    expect(await balance(session)).toBe(100_000);
    const attackerBalance = await (await call('/__paywall/api/me', { headers: attacker.auth })).json<{ balanceMicros: number }>();
    expect(attackerBalance.balanceMicros).toBe(100_000);
    // Nor can a planted session cookie on the wallet host pick the wallet a top-up lands in.
    const two = `${SESSION}=${attacker.token}; ${session}`;
    expect(
      (await call('/__paywall/api/dev/topup', json({ amountMicros: 1000 }, { cookie: two, origin: `http://${WALLET}` }), WALLET)).status,
    ).toBe(401);
  });
});

describe('disconnect and sign out', () => {
  it('disconnecting a publisher stops its cookie at once: the next view is a 402 offering the wallet, and nothing is charged', async () => {
    const { session } = await newWallet(100_000);
    const cookie = await connect(session, NEWS);
    expect((await viewJson('/premium/a', NEWS, cookie)).status).toBe(200);
    const listed = await (await get('/__paywall/account', WALLET, session)).text();
    expect(listed).toContain(`data-testid="site-${NEWS}"`);

    expect((await walletForm('/__paywall/account/disconnect', { host: NEWS }, session)).status).toBe(303);
    const after = await call('/premium/b', { headers: { accept: 'text/html', cookie } }, NEWS);
    expect(after.status).toBe(402);
    expect(await after.text()).toContain('Continue with your wallet');
    expect(after.headers.getSetCookie().some((c) => c.startsWith('paywall_token=;'))).toBe(true);
    expect(await balance(session)).toBe(100_000 - 10_000);
    expect(await (await get('/__paywall/account', WALLET, session)).text()).not.toContain(`data-testid="site-${NEWS}"`);
  });

  it('sign out everywhere ends every session and every publisher cookie; the balance stays', async () => {
    const { session, readerId } = await newWallet(100_000);
    const news = await connect(session, NEWS);
    const other = await connect(session, OTHER);
    expect((await walletForm('/__paywall/account/sign-out-everywhere', {}, session)).status).toBe(303);
    expect((await call('/__paywall/api/me', { headers: { cookie: session } }, WALLET)).status).toBe(401);
    expect((await viewJson('/premium/a', NEWS, news)).status).toBe(402);
    expect((await viewJson('/premium/a', OTHER, other)).status).toBe(402);
    const summary = await env.WALLET.get(env.WALLET.idFromName(readerId)).summary();
    expect(summary.balanceMicros).toBe(100_000);
  });

  it('signing out ends this browser session only', async () => {
    const { session } = await newWallet(0);
    const signedOut = await walletForm('/__paywall/account/sign-out', {}, session);
    expect(signedOut.status).toBe(303);
    expect((await call('/__paywall/api/me', { headers: { cookie: session } }, WALLET)).status).toBe(401);
  });
});

describe('a wallet made on a publisher host before', () => {
  it('moves its whole balance into the signed-in wallet when the reader connects that publisher: one transfer, nothing doubled', async () => {
    const old = await newReader(50_000);
    const { session, readerId } = await newWallet(10_000);
    const { url } = await codeFor(session, NEWS);
    const callback = await get(url.pathname + url.search, NEWS, `paywall_token=${old.token}`);
    expect(callback.status).toBe(303);
    expect(await balance(session)).toBe(60_000);
    const oldNow = await (await call('/__paywall/api/me', { headers: old.auth })).json<{ balanceMicros: number }>();
    expect(oldNow.balanceMicros).toBe(0);
    const entries = (
      await (
        await call('/__paywall/api/me/ledger', { headers: { cookie: session } }, WALLET)
      ).json<{ entries: { type: string; id: string }[] }>()
    ).entries;
    const oldEntries = (
      await (await call('/__paywall/api/me/ledger', { headers: old.auth })).json<{ entries: { type: string; id: string }[] }>()
    ).entries;
    const into = entries.find((e) => e.type === 'transfer_in')!;
    const out = oldEntries.find((e) => e.type === 'transfer_out')!;
    expect(into.id).toBe(out.id);
    expect(readerId).not.toBe(old.readerId);
  });
});

describe('with DEFAULT_SITE set (the demo)', () => {
  it('connects a loopback name that the default site serves, and never sends a code to a host the worker does not serve', async () => {
    const { createExecutionContext, waitOnExecutionContext } = await import('cloudflare:test');
    const { app } = await import('../../src/app');
    const { session } = await newWallet(0);
    const fetchWith = async (path: string) => {
      const ctx = createExecutionContext();
      const res = await app.fetch(
        new Request(`http://${WALLET}${path}`, { headers: { cookie: session }, redirect: 'manual' }),
        { ...env, DEFAULT_SITE: NEWS },
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res;
    };
    expect((await fetchWith('/__paywall/connect?site=127.0.0.1&return=%2F')).status).toBe(200);
    expect((await fetchWith('/__paywall/connect?site=demo.localhost&return=%2F')).status).toBe(200);
    expect((await fetchWith('/__paywall/connect?site=evil.example&return=%2F')).status).toBe(400);
  });
});

describe('a way back', () => {
  it('the sign-in and consent pages lead back to the article on the publisher, and "Not now" connects nothing', async () => {
    const step = `/__paywall/connect?site=${NEWS}&return=%2Farticles%2Fhello`;
    const signIn = await (await get(step, WALLET)).text();
    expect(signIn).toContain(`href="http://${NEWS}/articles/hello">← Back to ${NEWS}</a>`);
    const { session } = await newWallet(0);
    const consent = await (await get(step, WALLET, session)).text();
    expect(consent).toContain(`class="button secondary" href="http://${NEWS}/articles/hello"`);
    const declined = await walletForm('/__paywall/connect', { site: NEWS, return: '/articles/hello', decision: 'no' }, session);
    expect(declined.headers.get('location')).toBe(`http://${NEWS}/articles/hello`);
    expect(await (await get('/__paywall/account', WALLET, session)).text()).not.toContain(`data-testid="site-${NEWS}"`);
  });
});
