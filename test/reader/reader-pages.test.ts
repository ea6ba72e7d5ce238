import { createExecutionContext, reset, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { app } from '../../src/app';
import { parseUsdTypedByPeople } from '../../src/money';
import { safeReturnPath } from '../../src/reader/return-path';
import {
  balanceOf,
  call,
  connectWallet,
  HOST,
  ledgerOf,
  newReader,
  topUp,
  useStandardSite,
  view,
  WALLET_HOST,
  walletCall,
  walletCookie,
} from '../support/paywall';
import { checkoutCompleted, deliverEvent } from '../support/stripe-events';

afterEach(() => reset());

/**
 * With a wallet host (vitest.config.ts sets WALLET_HOST), the account page and its forms
 * live there, and the publisher host's paywall page links to it. Tests sign in on the
 * wallet host with a reader token in its cookie (full power, like a session).
 */
const ORIGIN = `http://${HOST}`;
const WALLET = `http://${WALLET_HOST}`;
const ACCOUNT = '/__paywall/account';
/** The wallet host's connect step back to news.test's /articles/hello: what "return" means there. */
const CONNECT_HELLO = '/__paywall/connect?site=news.test&return=%2Farticles%2Fhello';
const PASSKEYS_SCRIPT = '<script src="/__paywall/assets/passkeys-v1.js" defer=""></script>';

type Browser = { token: string };

/** A form post as a browser on the wallet host sends it. */
function post(path: string, fields: Record<string, string>, opts: { reader?: Browser | null; origin?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', origin: opts.origin ?? WALLET };
  if (opts.reader) Object.assign(headers, walletCookie(opts.reader));
  return walletCall(path, { method: 'POST', headers, body: new URLSearchParams(fields).toString(), redirect: 'manual' });
}

/** A wallet-host page as a browser (signed in as `reader`, or not) asks for it. */
function page(path: string, reader: Browser | null = null) {
  return walletCall(path, { headers: { accept: 'text/html', ...(reader ? walletCookie(reader) : {}) }, redirect: 'manual' });
}

/** A publisher-host page, with the cookie that host set (a spend token after connecting), if any. */
function publisherPage(path: string, cookie: string | null = null, headers: Record<string, string> = {}) {
  return call(path, { headers: { accept: 'text/html', ...(cookie ? { cookie } : {}), ...headers }, redirect: 'manual' });
}

const amp = (s: string) => s.replaceAll('&', '&amp;');

function expectPageHeaders(res: Response) {
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('unsafe-inline');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('x-frame-options')).toBe('DENY');
  expect(res.headers.get('cache-control')).toBe('private, no-store');
  expect(res.headers.get('strict-transport-security')).toBeNull();
}

/**
 * What the CSP forbids must not be in the page: it would silently not apply. The wallet
 * host's pages carry exactly one script, the same-origin passkey file; nothing inline.
 */
function expectCspSatisfied(html: string, opts: { passkeyScript: boolean }) {
  expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
  const scripts = html.match(/<script\b[\s\S]*?<\/script>/gi) ?? [];
  expect(scripts).toEqual(opts.passkeyScript ? [PASSKEYS_SCRIPT] : []);
  expect(html.replace(PASSKEYS_SCRIPT, '')).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=|javascript:/i);
  expect(html).toContain('<link rel="stylesheet" href="/__paywall/assets/pages-v4.css"');
}

describe('the account page, on the wallet host', () => {
  it('offers a browser without a wallet to sign in or make one; making one signs it in and goes on to the connect step it came for', async () => {
    await useStandardSite();
    const res = await page(`${ACCOUNT}?return=${encodeURIComponent(CONNECT_HELLO)}`);
    expect(res.status).toBe(200);
    expectPageHeaders(res);
    const html = await res.text();
    expectCspSatisfied(html, { passkeyScript: true });
    expect(html).toContain('Continue to news.test with your wallet');
    expect(html).toContain('Sign in with a passkey');
    expect(html).toContain('action="/__paywall/account/recover"');
    expect(html).toContain('Create a wallet');
    expect(html).toContain(`name="next" value="${amp(CONNECT_HELLO)}"`);

    const created = await post(`${ACCOUNT}/create`, { next: CONNECT_HELLO });
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe(CONNECT_HELLO);
    const cookie = created.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^__Host-paywall_session=s1\.r_[\w-]{22}\.[\w-]{22}\.\d+\.[\w-]+;/);
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*Secure/i);
    expect(cookie).toMatch(/;\s*SameSite=Lax/i);
    expect(cookie).toMatch(/;\s*Path=\/(;|$)/);
    expect(cookie).not.toMatch(/Domain=/i);

    const session = { token: /^__Host-paywall_session=([^;]+)/.exec(cookie)![1]! };
    const consent = await page(CONNECT_HELLO, session);
    expect(consent.status).toBe(200);
    expect(await consent.text()).toContain('Allow news.test to charge your wallet?');
  });

  it('makes a wallet without a connect step, and shows it', async () => {
    const created = await post(`${ACCOUNT}/create`, {});
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe(`${ACCOUNT}?notice=created`);
    const session = { token: /^__Host-paywall_session=(s1\.[^;]+)/.exec(created.headers.get('set-cookie') ?? '')![1]! };
    const after = await page(created.headers.get('location')!, session);
    expect(after.status).toBe(200);
    expectPageHeaders(after);
    const html = await after.text();
    expectCspSatisfied(html, { passkeyScript: true });
    expect(html).toContain('Your wallet is ready. Add a passkey so that you can never lose it');
    expect(html).toMatch(/data-testid="balance">\$0\.00</);
    expect(html).toContain('Protect your balance');
  });

  it('does not make a second wallet for a browser signed in to one', async () => {
    const reader = await newReader(5_000);
    let res = await post(`${ACCOUNT}/create`, {}, { reader });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(ACCOUNT);
    expect(res.headers.get('set-cookie')).toBeNull();
    res = await post(`${ACCOUNT}/create`, { next: CONNECT_HELLO }, { reader });
    expect(res.headers.get('location')).toBe(CONNECT_HELLO);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('refuses cross-site form posts (CSRF): nothing created, credited or changed', async () => {
    const reader = await newReader();
    for (const [path, fields] of [
      [`${ACCOUNT}/create`, {}],
      [`${ACCOUNT}/dev-topup`, { amount: '5' }],
      [`${ACCOUNT}/cap`, { dailyCap: '0.01' }],
      [`${ACCOUNT}/topup`, { amount: '5' }],
    ] as const) {
      for (const origin of ['https://evil.example', ORIGIN]) {
        const res = await post(path, fields, { reader, origin });
        expect(res.status, `${path} from ${origin}`).toBe(403);
        expect(res.headers.get('set-cookie')).toBeNull();
      }
    }
    expect(await ledgerOf(reader)).toEqual([]);
    const me = await call('/__paywall/api/me', { headers: reader.auth });
    expect(await me.json()).toMatchObject({ dailyCapMicros: null });
  });

  it('shows the balance, and the demo top-up adds to it, keeping the way back', async () => {
    const reader = await newReader(2_500);
    const before = await (await page(ACCOUNT, reader)).text();
    expect(before).toMatch(/data-testid="balance">\$0\.0025</);
    const res = await post(
      `${ACCOUNT}/dev-topup`,
      { amount: '1.00', return: '/__paywall/connect?site=news.test&return=%2Farticles%2Fa' },
      { reader },
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(
      `${ACCOUNT}?return=%2F__paywall%2Fconnect%3Fsite%3Dnews.test%26return%3D%252Farticles%252Fa&notice=dev-topup`,
    );
    expect(await balanceOf(reader)).toBe(1_002_500);
  });

  it('has no demo top-up outside the demo', async () => {
    const reader = await newReader();
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(`${WALLET}${ACCOUNT}/dev-topup`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: WALLET, ...walletCookie(reader) },
        body: 'amount=5',
      }),
      { ...env, DEV_TOPUP: 'false' },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(404);
    expect(await balanceOf(reader)).toBe(0);
  });

  it('sends a card top-up to Stripe Checkout, which comes back to the wallet with the way back to the article', async () => {
    await useStandardSite();
    const reader = await newReader();
    const next = '/__paywall/connect?site=news.test&return=%2Farticles%2Fhello%3Fx%3D1';
    const res = await post(`${ACCOUNT}/topup`, { amount: '7.50', return: next }, { reader });
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
    const sessionId = location.split('/').pop()!;
    const sent = await (await fetch(`${env.STRIPE_API_BASE}/__standin/sessions/${sessionId}`)).json<{ params: Record<string, string> }>();
    expect(sent.params['line_items[0][price_data][unit_amount]']).toBe('750');
    expect(sent.params.client_reference_id).toBe(reader.readerId);
    const back = 'return=%2F__paywall%2Fconnect%3Fsite%3Dnews.test%26return%3D%252Farticles%252Fhello%253Fx%253D1';
    expect(sent.params.success_url).toBe(`${WALLET}${ACCOUNT}?topup=paid&${back}`);
    expect(sent.params.cancel_url).toBe(`${WALLET}${ACCOUNT}?topup=cancelled&${back}`);
    expect(await balanceOf(reader)).toBe(0);

    // Stripe confirms, and the reader lands back on the wallet with one click to the article.
    expect((await deliverEvent(checkoutCompleted({ id: sessionId, client_reference_id: reader.readerId, amount_total: 750 }))).status).toBe(
      200,
    );
    const html = await (await page(new URL(sent.params.success_url!).pathname + new URL(sent.params.success_url!).search, reader)).text();
    expect(html).toContain('your card payment went through');
    expect(html).toContain('<code>news.test/articles/hello?x=1</code> costs $0.0025');
    expect(html).toContain(`<a class="button" href="${amp(next)}" data-testid="pay-and-read">Pay $0.0025 and read</a>`);
  });

  it('explains a card top-up amount it cannot take, next to the field', async () => {
    const reader = await newReader();
    for (const amount of ['0.49', '500.01', '1.005', 'ten', '']) {
      const res = await post(`${ACCOUNT}/topup`, { amount }, { reader });
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toContain('Enter an amount from $0.50 to $500.00');
      expect(html).toMatch(/id="topup-amount"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="topup-amount"/);
    }
  });

  it('thanks the reader back from Stripe, and says when a top-up was cancelled', async () => {
    const reader = await newReader();
    expect(await (await page(`${ACCOUNT}?topup=paid`, reader)).text()).toContain('your card payment went through');
    expect(await (await page(`${ACCOUNT}?topup=cancelled`, reader)).text()).toContain('nothing was charged');
    const injected = await (await page(`${ACCOUNT}?notice=<script>`, reader)).text();
    expect(injected).not.toContain('<script>');
    expectCspSatisfied(injected, { passkeyScript: true });
  });

  it('sets, changes and removes the daily cap, and refuses what is not an amount', async () => {
    const reader = await newReader();
    const cap = async () =>
      (await (await call('/__paywall/api/me', { headers: reader.auth })).json<{ dailyCapMicros: number | null }>()).dailyCapMicros;
    let res = await post(`${ACCOUNT}/cap`, { dailyCap: '0.25' }, { reader });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${ACCOUNT}?notice=cap-saved`);
    expect(await cap()).toBe(250_000);
    expect(await (await page(ACCOUNT, reader)).text()).toMatch(
      /Spent today <strong>\$0\.00<\/strong> of your <strong>\$0\.25<\/strong> daily cap/,
    );
    res = await post(`${ACCOUNT}/cap`, { dailyCap: 'lots' }, { reader });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Enter an amount in dollars');
    expect(await cap()).toBe(250_000);
    res = await post(`${ACCOUNT}/cap`, { dailyCap: '' }, { reader });
    expect(res.headers.get('location')).toBe(`${ACCOUNT}?notice=cap-removed`);
    expect(await cap()).toBeNull();
  });

  it('pages through the history, newest first', async () => {
    await useStandardSite();
    const reader = await newReader(1_000_000);
    for (let i = 0; i < 44; i++) await topUp(reader, 1_000 + i);
    const rows = (html: string) => [...html.matchAll(/<tr data-testid="entry-(\w+)">/g)].length;
    const first = await (await page(ACCOUNT, reader)).text();
    expect(rows(first)).toBe(20);
    expect(first).toContain('+$0.001043');
    const older = /href="(\/__paywall\/account\?before=\d+)#history-heading">Older entries/.exec(first)![1]!;
    const second = await (await page(older.replaceAll('&amp;', '&'), reader)).text();
    expect(rows(second)).toBe(20);
    expect(second).toContain('Newest entries');
    const oldest = /href="(\/__paywall\/account\?before=\d+)#history-heading">Older entries/.exec(second)![1]!;
    const third = await (await page(oldest, reader)).text();
    expect(rows(third)).toBe(5);
    expect(third).toContain('+$1.00');
    expect(third).not.toContain('Older entries');
  });

  it('offers one click to pay and read the article once the balance covers it, through the connect step to the article', async () => {
    await useStandardSite();
    const reader = await newReader(1_000);
    const short = await (await page(`${ACCOUNT}?return=${encodeURIComponent(CONNECT_HELLO)}`, reader)).text();
    expect(short).toContain('Continue reading');
    expect(short).toContain('<code>news.test/articles/hello</code> costs $0.0025');
    expect(short).toContain('does not cover it yet');
    expect(short).not.toContain('pay-and-read');
    await topUp(reader, 5_000);
    const enough = await (await page(`${ACCOUNT}?return=${encodeURIComponent(CONNECT_HELLO)}`, reader)).text();
    expect(enough).toContain(`<a class="button" href="${amp(CONNECT_HELLO)}" data-testid="pay-and-read">Pay $0.0025 and read</a>`);

    // The link asks once whether news.test may charge the wallet; allowing it lands on the article, paid.
    const consent = await page(CONNECT_HELLO, reader);
    expect(consent.status).toBe(200);
    expect(await consent.text()).toContain('Allow news.test to charge your wallet?');
    const spend = await connectWallet(reader, HOST, '/articles/hello');
    const article = await publisherPage('/articles/hello', spend);
    expect(article.status).toBe(200);
    await article.arrayBuffer();
    expect(await balanceOf(reader)).toBe(3_500);
  });

  it('takes only a connect step as the way back: a publisher host turns its article path into one', async () => {
    await useStandardSite();
    const reader = await newReader(1_000_000);
    const html = await (await page(`${ACCOUNT}?return=%2Farticles%2Fhello`, reader)).text();
    expect(html).not.toContain('Continue reading');
    expect(html).not.toContain('href="/articles/hello"');
    const redirected = await publisherPage(`${ACCOUNT}?return=%2Farticles%2Fhello`);
    expect(redirected.status).toBe(302);
    expect(redirected.headers.get('location')).toBe(`${WALLET}${ACCOUNT}?return=${encodeURIComponent(CONNECT_HELLO)}`);
  });

  it.each([
    '//evil.example/x',
    'https://evil.example/',
    '/\\evil.example',
    '/%5Cevil',
    'javascript:alert(1)',
    '/__paywall/api/me',
    ' /articles/a',
    '/__paywall/account/withdraw',
    '/__paywall/connect/callback?code=x&return=%2Farticles%2Fa',
    'https://evil.example/__paywall/connect?site=news.test&return=%2Farticles%2Fa',
    '//evil.example/__paywall/connect?site=news.test&return=%2Farticles%2Fa',
    '/__paywall/connect?site=news.test&return=%2F%2Fevil.example%2Fx',
    '/__paywall/connect?site=news.test&return=https%3A%2F%2Fevil.example%2F',
    '/__paywall/connect?site=news.test&return=%2F__paywall%2Fapi%2Fme',
    '/__paywall/connect?site=news.test&return=%2F%5Cevil.example',
    '/__paywall/connect?site=news.test',
    '/__paywall/connect?site=news.test%40evil.example&return=%2Farticles%2Fa',
    '/__paywall/connect?site=news.test%2F%2Fevil.example&return=%2Farticles%2Fa',
    '/__paywall/connect?site=wallet.test&return=%2Farticles%2Fa',
    '/__paywall/connect?site=admin.test&return=%2Farticles%2Fa',
    '/__paywall/connect?site=news.test&return=%2Farticles%2Fa&next=%2F%2Fevil.example',
  ])('never sends the reader off-site or into the paywall: return=%s', async (target) => {
    await useStandardSite();
    const reader = await newReader();
    const res = await page(`${ACCOUNT}?return=${encodeURIComponent(target)}`, reader);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain('Continue reading');
    expect(html).not.toMatch(/href="(https?:)?\/\/|href="\/\\|href="javascript|href="\/__paywall\/connect/);
    expect(html).not.toContain('name="return"');
    const topped = await post(`${ACCOUNT}/dev-topup`, { amount: '1', return: target }, { reader });
    expect(topped.headers.get('location')).toBe(`${ACCOUNT}?notice=dev-topup`);

    // Nor the sign-in page, nor a wallet made from it.
    const signIn = await (await page(`${ACCOUNT}?return=${encodeURIComponent(target)}`)).text();
    expect(signIn).toContain('Create a wallet');
    expect(signIn).not.toContain('name="next"');
    expect(signIn).toContain('data-next=""');
    const created = await post(`${ACCOUNT}/create`, { next: target });
    expect(created.headers.get('location')).toBe(`${ACCOUNT}?notice=created`);

    // Nor the publisher host's account link, which sends the reader to the wallet.
    const redirected = await publisherPage(`${ACCOUNT}?return=${encodeURIComponent(target)}`);
    expect(redirected.status).toBe(302);
    expect(redirected.headers.get('location')).toBe(`${WALLET}${ACCOUNT}`);
  });
});

describe('the paywall page (402, HTML), on a publisher host', () => {
  it('tells a new visitor the price and offers to continue with their wallet, back to the article', async () => {
    await useStandardSite();
    const res = await publisherPage('/articles/hello?ref=home');
    expect(res.status).toBe(402);
    expect(res.headers.get('paywall-price-micros')).toBe('2500');
    expectPageHeaders(res);
    const html = await res.text();
    expectCspSatisfied(html, { passkeyScript: false });
    expect(html).toContain('data-testid="price">$0.0025<');
    const connect = `${WALLET}/__paywall/connect?site=news.test&return=%2Farticles%2Fhello%3Fref%3Dhome`;
    expect(html).toContain(`<a class="button" href="${amp(connect)}" data-testid="continue-with-wallet">Continue with your wallet</a>`);
    expect(html).toContain(
      `href="${WALLET}${ACCOUNT}?return=%2F__paywall%2Fconnect%3Fsite%3Dnews.test%26return%3D%252Farticles%252Fhello%253Fref%253Dhome"`,
    );
    // Nothing on the publisher host makes or changes a wallet.
    expect(html).not.toContain('<form');

    // The link leads to the wallet's sign-in, which goes on to the same connect step.
    const signIn = await page(new URL(connect).pathname + new URL(connect).search);
    expect(signIn.status).toBe(200);
    const signInHtml = await signIn.text();
    expect(signInHtml).toContain('Continue to news.test with your wallet');
    expect(signInHtml).toContain(`name="next" value="${amp('/__paywall/connect?site=news.test&return=%2Farticles%2Fhello%3Fref%3Dhome')}"`);
  });

  it('sends a connected reader whose balance is short to top up their wallet', async () => {
    await useStandardSite();
    const reader = await newReader(1_000);
    const spend = await connectWallet(reader, HOST, '/articles/hello');
    const res = await publisherPage('/articles/hello', spend);
    expect(res.status).toBe(402);
    const html = await res.text();
    expectCspSatisfied(html, { passkeyScript: false });
    expect(html).toContain('data-testid="balance">$0.001<');
    const account = `${WALLET}${ACCOUNT}?return=${encodeURIComponent(CONNECT_HELLO)}`;
    expect(html).toContain(`<a class="button" href="${account}#top-up">Top up your wallet</a>`);
    expect(html).not.toContain('<form');
    expect(html).not.toContain('Continue with your wallet');

    const wallet = await (await page(new URL(account).pathname + new URL(account).search, reader)).text();
    expect(wallet).toContain('id="top-up"');
    expect(wallet).toContain('<code>news.test/articles/hello</code> costs $0.0025');
  });

  it('points a reader at their cap on the wallet when the cap, not the balance, stops them', async () => {
    await useStandardSite();
    const reader = await newReader(1_000_000);
    const settings = await call('/__paywall/api/me/settings', {
      method: 'PUT',
      headers: { ...reader.auth, 'content-type': 'application/json' },
      body: '{"dailyCapMicros":1000}',
    });
    expect(settings.status).toBe(200);
    const spend = await connectWallet(reader, HOST, '/articles/hello');
    const html = await (await publisherPage('/articles/hello', spend)).text();
    expect(html).toContain(`href="${WALLET}${ACCOUNT}?return=${encodeURIComponent(CONNECT_HELLO)}#daily-cap"`);
    expect(html).toContain('Change my daily cap');
    expect(html).not.toContain('<form');
  });

  it('offers to pay and read when the balance covers the price', async () => {
    await useStandardSite();
    const reader = await newReader(1_000_000);
    const spend = await connectWallet(reader, HOST, '/articles/hello');
    const res = await publisherPage('/articles/hello', spend, { 'paywall-max-price-micros': '100' });
    expect(res.status).toBe(402);
    expect(await res.text()).toContain('<a class="button" href="/articles/hello">Pay $0.0025 and read</a>');
    expect(await balanceOf(reader)).toBe(1_000_000);
  });

  it('still answers JSON to API clients', async () => {
    await useStandardSite();
    const res = await view('/articles/hello', null);
    expect(res.status).toBe(402);
    expect(await res.json()).toEqual({ error: 'payment_required', priceMicros: 2500, balanceMicros: null });
  });
});

describe('without a wallet host (a deployment made before it), each host keeps its own account', () => {
  async function legacy(path: string, init: RequestInit = {}): Promise<Response> {
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`${ORIGIN}${path}`, { redirect: 'manual', ...init }), { ...env, WALLET_HOST: '' }, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  }
  const form = (path: string, fields: Record<string, string>, cookie?: string) =>
    legacy(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, ...(cookie ? { cookie } : {}) },
      body: new URLSearchParams(fields).toString(),
    });

  it('the paywall page offers an account on the site, and creating one sets paywall_token and returns to the article', async () => {
    await useStandardSite();
    const paywall = await legacy('/articles/hello?ref=home', { headers: { accept: 'text/html' } });
    expect(paywall.status).toBe(402);
    const paywallHtml = await paywall.text();
    expectCspSatisfied(paywallHtml, { passkeyScript: false });
    expect(paywallHtml).toContain('action="/__paywall/account/create"');
    expect(paywallHtml).toContain('name="return" value="/articles/hello?ref=home"');
    expect(paywallHtml).not.toContain(WALLET_HOST);

    const res = await legacy(`${ACCOUNT}?return=${encodeURIComponent('/articles/hello')}`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expectPageHeaders(res);
    const html = await res.text();
    expectCspSatisfied(html, { passkeyScript: false });
    expect(html).toContain('Create my account');
    expect(html).toContain('costs $0.0025');

    const created = await form(`${ACCOUNT}/create`, { return: '/articles/hello' });
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe(`${ACCOUNT}?return=%2Farticles%2Fhello&notice=created`);
    const cookie = created.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^paywall_token=r_[\w-]{22}\./);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);

    const token = /^paywall_token=([^;]+)/.exec(cookie)![1]!;
    const after = await legacy(created.headers.get('location')!, { headers: { accept: 'text/html', cookie: `paywall_token=${token}` } });
    const text = await after.text();
    expect(text).toContain('Your reading account is ready');
    expect(text).toContain('Balance');

    const topped = await form(`${ACCOUNT}/dev-topup`, { amount: '1.00', return: '/articles/hello' }, `paywall_token=${token}`);
    expect(topped.status).toBe(303);
    expect(topped.headers.get('location')).toBe(`${ACCOUNT}?return=%2Farticles%2Fhello&notice=dev-topup`);
    const me = await call('/__paywall/api/me', { headers: { authorization: `Bearer ${token}` } });
    expect(await me.json()).toMatchObject({ balanceMicros: 1_000_000 });
  });
});

describe('page helpers', () => {
  it('serves the stylesheet the pages link to', async () => {
    const res = await call('/__paywall/assets/pages-v4.css');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await res.text()).toContain('.card');
  });

  it('serves the passkey script the wallet pages link to', async () => {
    const res = await walletCall('/__paywall/assets/passkeys-v1.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    await res.text();
  });

  it('reads dollars exactly, without floats', () => {
    expect(parseUsdTypedByPeople('5')).toBe(5_000_000);
    expect(parseUsdTypedByPeople('0.50')).toBe(500_000);
    expect(parseUsdTypedByPeople('$2.5')).toBe(2_500_000);
    expect(parseUsdTypedByPeople('1,000.25')).toBe(1_000_250_000);
    expect(parseUsdTypedByPeople('0.000001')).toBe(1);
    expect(parseUsdTypedByPeople('0.29')).toBe(290_000);
    for (const bad of ['', 'abc', '-1', '1e3', '1.2345678', '.5', '10000000']) expect(parseUsdTypedByPeople(bad)).toBeNull();
  });

  it('accepts only same-site relative return paths', () => {
    expect(safeReturnPath('/articles/a?b=1')).toBe('/articles/a?b=1');
    for (const bad of ['//evil.example', '/\\evil', 'https://evil.example', 'evil', '/a\nb', '/__paywall/account', '', null]) {
      expect(safeReturnPath(bad)).toBeNull();
    }
  });
});
