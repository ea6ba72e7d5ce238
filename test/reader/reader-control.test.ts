import { reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { capResets } from '../../src/pages/daily-cap-status';
import { walletOf } from '../../src/wallet/wallet-stub';
import { call, newReader, readToEnd } from '../support/paywall';
import { connect, get, newWallet, NEWS, twoPublishers, WALLET, walletForm } from '../identity/support';

/**
 * Issue 16, the reader in control: the daily cap says where it stands and never offers a
 * pay link it would refuse; a view above the reader's "ask before paying" threshold waits
 * for one click that pays exactly that article once.
 */

afterEach(() => reset());

const PREMIUM = 10_000; // STANDARD_RULES: /premium/* costs $0.01

async function browserView(path: string, cookie: string, accept = 'text/html') {
  return readToEnd(await call(path, { headers: { cookie, accept }, redirect: 'manual' }, NEWS));
}

const me = async (session: string) =>
  (await call('/__paywall/api/me', { headers: { cookie: session } }, WALLET)).json<Record<string, unknown>>();

describe('the daily cap, finished', () => {
  it('says when it resets, in words', () => {
    const at = (iso: string) => capResets(Date.parse(iso)).replace(/\u00a0/g, ' ');
    expect(at('2025-03-01T19:00:00Z')).toBe('resets at 00:00 UTC, in 5 h');
    expect(at('2025-03-01T18:48:00Z')).toBe('resets at 00:00 UTC, in 5 h 12 min');
    expect(at('2025-03-01T23:30:00Z')).toBe('resets at 00:00 UTC, in 30 min');
    expect(at('2025-03-01T23:59:30Z')).toBe('resets at 00:00 UTC, in under a minute');
    expect(at('2025-03-01T00:00:00Z')).toBe('resets at 00:00 UTC, in 24 h');
  });

  it('the paywall page and the account page say spent today of the cap, "this would exceed", and offer no pay link while it blocks', async () => {
    await twoPublishers();
    const { session } = await newWallet(1_000_000);
    expect((await walletForm('/__paywall/account/cap', { dailyCap: '0.015' }, session)).status).toBe(303);
    const cookie = await connect(session, NEWS, '/premium/one');
    expect((await browserView('/premium/one', cookie)).status).toBe(200);
    expect(await me(session)).toMatchObject({ dailyCapMicros: 15_000, spentTodayMicros: PREMIUM, balanceMicros: 1_000_000 - PREMIUM });

    // The next one would take today to $0.02, over $0.015: refused, and the page says why.
    const refused = await browserView('/premium/two', cookie);
    expect(refused.status).toBe(402);
    const page = await refused.text();
    expect(page).toContain('This would exceed your daily cap');
    expect(page).toMatch(
      /Spent today <strong>\$0\.01<\/strong> of your <strong>\$0\.015<\/strong> daily cap; it resets at 00:00 UTC, in \d/,
    );
    expect(page).not.toMatch(/and read/);
    expect(page).toContain('Change my daily cap');

    // JSON keeps the contract's three fields exactly.
    const json = await browserView('/premium/two', cookie, 'application/json');
    expect(await json.json()).toEqual({ error: 'daily_cap_reached', priceMicros: PREMIUM, balanceMicros: 1_000_000 - PREMIUM });

    // The wallet's Continue reading box: no "Pay and read" while the cap blocks it.
    const step = `/__paywall/connect?${new URLSearchParams({ site: NEWS, return: '/premium/two' })}`;
    const account = await (await get(`/__paywall/account?${new URLSearchParams({ return: step })}`, WALLET, session)).text();
    expect(account).toContain('This would exceed your daily cap:');
    expect(account).not.toContain('data-testid="pay-and-read"');
    expect(account).toMatch(/Spent today <strong>\$0\.01<\/strong> of your <strong>\$0\.015<\/strong> daily cap; it resets at 00:00 UTC/);

    // Raised: the box offers the one click, and the view is paid.
    expect((await walletForm('/__paywall/account/cap', { dailyCap: '0.05', return: step }, session)).status).toBe(303);
    const raised = await (await get(`/__paywall/account?${new URLSearchParams({ return: step })}`, WALLET, session)).text();
    expect(raised).toContain('data-testid="pay-and-read"');
    expect(raised).not.toContain('This would exceed');
    expect((await browserView('/premium/two', cookie)).status).toBe(200);
    expect(await me(session)).toMatchObject({ spentTodayMicros: 2 * PREMIUM });
  });

  it('once reached, the page says so', async () => {
    await twoPublishers();
    const { session } = await newWallet(1_000_000);
    await walletForm('/__paywall/account/cap', { dailyCap: '0.01' }, session);
    const cookie = await connect(session, NEWS, '/premium/one');
    expect((await browserView('/premium/one', cookie)).status).toBe(200);
    const page = await (await browserView('/premium/two', cookie)).text();
    expect(page).toContain('You have reached your daily spending cap');
  });
});

describe('ask before paying more than $X a view', () => {
  async function readerAskingAbove(askAbove: string) {
    await twoPublishers();
    const { session, readerId } = await newWallet(1_000_000);
    const saved = await walletForm('/__paywall/account/ask-above', { askAbove }, session);
    expect(saved.status).toBe(303);
    const cookie = await connect(session, NEWS, '/articles/cheap');
    return { session, readerId, cookie };
  }

  it('is a reader setting on the wallet host: shown, changed, removed', async () => {
    const { session } = await readerAskingAbove('0.005');
    expect(await me(session)).toMatchObject({ askAboveMicros: 5_000 });
    const page = await (await get('/__paywall/account', WALLET, session)).text();
    expect(page).toContain('Pay automatically up to');
    expect(page).toMatch(/id="ask-above-input"[^>]*value="0\.005"|value="0\.005"[^>]*id="ask-above-input"/);
    const bad = await walletForm('/__paywall/account/ask-above', { askAbove: 'lots' }, session);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('leave the field empty to never be asked');
    await walletForm('/__paywall/account/ask-above', { askAbove: '' }, session);
    expect(await me(session)).toMatchObject({ askAboveMicros: null });
  });

  it('a browser view above it is a 402 that asks with the price; below it is paid as ever; an agent is not asked', async () => {
    const { readerId, cookie } = await readerAskingAbove('0.005');
    // $0.0025, under the threshold: paid without a question.
    const cheap = await browserView('/articles/cheap', cookie);
    expect(cheap.status).toBe(200);
    expect(cheap.headers.get('paywall-charged-micros')).toBe('2500');

    const asked = await browserView('/premium/dear?page=2', cookie);
    expect(asked.status).toBe(402);
    expect(asked.headers.get('paywall-price-micros')).toBe(String(PREMIUM));
    const page = await asked.text();
    expect(page).toContain('Pay $0.01 for this article?');
    expect(page).toContain('You pay automatically up to $0.005 an article');
    expect(page).toContain('<form method="post" action="/__paywall/confirm"');
    expect(page).toContain('name="path" value="/premium/dear?page=2"');

    const json = await browserView('/premium/dear', cookie, 'application/json');
    expect(await json.json()).toEqual({ error: 'price_above_max', priceMicros: PREMIUM, balanceMicros: 1_000_000 - 2500 });

    // A bearer client of the same wallet sets its own ceiling per request, as today.
    const ledgerBefore = (await walletOf(env, readerId).ledger(50)).entries.length;
    const agent = await newReader(100_000);
    await walletOf(env, agent.readerId).setAskAbove(1);
    const paid = await readToEnd(await call('/premium/dear', { headers: { ...agent.auth, accept: 'application/json' } }, NEWS));
    expect(paid.status).toBe(200);
    const capped = await readToEnd(
      await call('/premium/dear', { headers: { ...agent.auth, accept: 'application/json', 'paywall-max-price-micros': '5000' } }, NEWS),
    );
    expect(await capped.json()).toEqual({ error: 'price_above_max', priceMicros: PREMIUM, balanceMicros: 100_000 - PREMIUM });
    expect((await walletOf(env, readerId).ledger(50)).entries.length).toBe(ledgerBefore);
  });

  it('one click pays exactly that article once: the confirmation is single-use, for that path, and never reaches the origin', async () => {
    const { readerId, cookie } = await readerAskingAbove('0.005');
    const confirm = (path: string, origin = `http://${NEWS}`) =>
      call(
        '/__paywall/confirm',
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin, cookie },
          body: new URLSearchParams({ path }),
          redirect: 'manual',
        },
        NEWS,
      );

    const clicked = await confirm('/premium/dear?page=2');
    expect(clicked.status).toBe(303);
    const to = new URL(clicked.headers.get('location')!, `http://${NEWS}`);
    expect(to.pathname).toBe('/premium/dear');
    expect(to.searchParams.get('page')).toBe('2');
    expect(to.searchParams.get('paywall_confirm')).toMatch(/^[0-9a-f-]{36}$/);

    const read = await browserView(to.pathname + to.search, cookie);
    expect(read.status).toBe(200);
    expect(read.headers.get('paywall-charged-micros')).toBe(String(PREMIUM));
    const seen = await read.json<{ path: string }>();
    expect(seen.path).toBe('/premium/dear?page=2');

    // The same link again (a reload, a second tab): asked again, not charged.
    expect((await browserView(to.pathname + to.search, cookie)).status).toBe(402);
    // A confirmation made for one path buys no other.
    const other = new URL((await confirm('/premium/dear')).headers.get('location')!, `http://${NEWS}`);
    const elsewhere = await browserView(`/premium/other?paywall_confirm=${other.searchParams.get('paywall_confirm')}`, cookie);
    expect(elsewhere.status).toBe(402);
    // Another site's page cannot post the click.
    expect((await confirm('/premium/dear', 'http://evil.test')).status).toBe(403);

    const charges = (await walletOf(env, readerId).ledger(50)).entries.filter((e) => e.type === 'charge' && e.path === '/premium/dear');
    expect(charges).toHaveLength(1);
  });

  it('without a reader the click leads to the article, which answers for itself; the wallet host has no confirm', async () => {
    await twoPublishers();
    const res = await call(
      '/__paywall/confirm',
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: `http://${NEWS}` },
        body: 'path=%2Fpremium%2Fx',
        redirect: 'manual',
      },
      NEWS,
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/premium/x');
    const bad = await call(
      '/__paywall/confirm',
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: `http://${NEWS}` },
        body: 'path=https%3A%2F%2Fevil.test%2F',
        redirect: 'manual',
      },
      NEWS,
    );
    expect(bad.status).toBe(400);
    const onWallet = await call(
      '/__paywall/confirm',
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: `http://${WALLET}` },
        body: 'path=%2Fx',
        redirect: 'manual',
      },
      WALLET,
    );
    expect(onWallet.status).toBe(404);
  });
});
