import { createExecutionContext, reset, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { app } from '../src/app';
import { parseUsd } from '../src/pages/price-input';
import { safeReturnPath } from '../src/reader/return-path';
import { balanceOf, call, HOST, ledgerOf, newReader, topUp, useStandardSite, view, type Reader } from './support/paywall';

afterEach(() => reset());

const ORIGIN = `http://${HOST}`;
const ACCOUNT = '/__paywall/account';

/** A form post as a browser on this site sends it. */
function post(path: string, fields: Record<string, string>, opts: { reader?: Reader | null; cookie?: string; origin?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', origin: opts.origin ?? ORIGIN };
  if (opts.reader) headers.cookie = `paywall_token=${opts.reader.token}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  return call(path, { method: 'POST', headers, body: new URLSearchParams(fields).toString(), redirect: 'manual' });
}

function page(path: string, reader: Reader | null = null) {
  return call(path, { headers: { accept: 'text/html', ...(reader ? { cookie: `paywall_token=${reader.token}` } : {}) } });
}

function expectPageHeaders(res: Response) {
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('unsafe-inline');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('x-frame-options')).toBe('DENY');
  expect(res.headers.get('cache-control')).toBe('private, no-store');
  expect(res.headers.get('strict-transport-security')).toBeNull();
}

/** What the CSP forbids must not be in the page: it would silently not apply. */
function expectCspSatisfied(html: string) {
  expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
  expect(html).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=|javascript:/i);
  expect(html).toContain('<link rel="stylesheet" href="/__paywall/assets/pages-v3.css"');
}

describe('the account page', () => {
  it('offers to create an account when the browser has none, and creating one sets the cookie', async () => {
    await useStandardSite();
    const res = await page(`${ACCOUNT}?return=${encodeURIComponent('/articles/hello')}`);
    expect(res.status).toBe(200);
    expectPageHeaders(res);
    const html = await res.text();
    expectCspSatisfied(html);
    expect(html).toContain('Create my account');
    expect(html).toContain('costs $0.0025');

    const created = await post(`${ACCOUNT}/create`, { return: '/articles/hello' });
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe(`${ACCOUNT}?return=%2Farticles%2Fhello&notice=created`);
    const cookie = created.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^paywall_token=r_[\w-]{22}\./);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);

    const token = /^paywall_token=([^;]+)/.exec(cookie)![1]!;
    const after = await page(created.headers.get('location')!, { readerId: '', token, auth: { authorization: '' } });
    const text = await after.text();
    expect(text).toContain('Your reading account is ready');
    expect(text).toContain('Balance');
  });

  it('does not create a second account for a browser that has one', async () => {
    const reader = await newReader(5_000);
    const res = await post(`${ACCOUNT}/create`, {}, { reader });
    expect(res.status).toBe(303);
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
      const res = await post(path, fields, { reader, origin: 'https://evil.example' });
      expect(res.status).toBe(403);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    expect(await ledgerOf(reader)).toEqual([]);
    const me = await call('/__paywall/api/me', { headers: reader.auth });
    expect(await me.json()).toMatchObject({ dailyCapMicros: null });
  });

  it('shows the balance, and the demo top-up adds to it', async () => {
    const reader = await newReader(2_500);
    const before = await (await page(ACCOUNT, reader)).text();
    expect(before).toMatch(/data-testid="balance">\$0\.0025</);
    const res = await post(`${ACCOUNT}/dev-topup`, { amount: '1.00', return: '/articles/a' }, { reader });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${ACCOUNT}?return=%2Farticles%2Fa&notice=dev-topup`);
    expect(await balanceOf(reader)).toBe(1_002_500);
  });

  it('has no demo top-up outside the demo', async () => {
    const reader = await newReader();
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(`${ORIGIN}${ACCOUNT}/dev-topup`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, cookie: `paywall_token=${reader.token}` },
        body: 'amount=5',
      }),
      { ...env, DEV_TOPUP: 'false' },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(404);
    expect(await balanceOf(reader)).toBe(0);
  });

  it('sends a card top-up to Stripe Checkout, with the way back to the article', async () => {
    const reader = await newReader();
    const res = await post(`${ACCOUNT}/topup`, { amount: '7.50', return: '/articles/hello?x=1' }, { reader });
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
    const sent = await (await fetch(`${env.STRIPE_API_BASE}/__standin/sessions/${location.split('/').pop()}`)).json<{ params: Record<string, string> }>();
    expect(sent.params['line_items[0][price_data][unit_amount]']).toBe('750');
    expect(sent.params.client_reference_id).toBe(reader.readerId);
    expect(sent.params.success_url).toBe(`${ORIGIN}${ACCOUNT}?topup=paid&return=%2Farticles%2Fhello%3Fx%3D1`);
    expect(sent.params.cancel_url).toBe(`${ORIGIN}${ACCOUNT}?topup=cancelled&return=%2Farticles%2Fhello%3Fx%3D1`);
    expect(await balanceOf(reader)).toBe(0);
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
    expect(await (await page(`${ACCOUNT}?notice=<script>`, reader)).text()).not.toContain('<script>');
  });

  it('sets, changes and removes the daily cap, and refuses what is not an amount', async () => {
    const reader = await newReader();
    const cap = async () => (await (await call('/__paywall/api/me', { headers: reader.auth })).json<{ dailyCapMicros: number | null }>()).dailyCapMicros;
    let res = await post(`${ACCOUNT}/cap`, { dailyCap: '0.25' }, { reader });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${ACCOUNT}?notice=cap-saved`);
    expect(await cap()).toBe(250_000);
    expect(await (await page(ACCOUNT, reader)).text()).toContain('Daily cap: $0.25.');
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

  it('offers one click to pay and read the article once the balance covers it', async () => {
    await useStandardSite();
    const reader = await newReader(1_000);
    const short = await (await page(`${ACCOUNT}?return=%2Farticles%2Fhello`, reader)).text();
    expect(short).toContain('does not cover it yet');
    expect(short).not.toContain('pay-and-read');
    await topUp(reader, 5_000);
    const enough = await (await page(`${ACCOUNT}?return=%2Farticles%2Fhello`, reader)).text();
    expect(enough).toMatch(/<a class="button" href="\/articles\/hello" data-testid="pay-and-read">Pay \$0\.0025 and read<\/a>/);
  });

  it.each(['//evil.example/x', 'https://evil.example/', '/\\evil.example', '/%5Cevil', 'javascript:alert(1)', '/__paywall/api/me', ' /articles/a'])(
    'never sends the reader off-site or into the paywall: return=%s',
    async (target) => {
      const reader = await newReader();
      const html = await (await page(`${ACCOUNT}?return=${encodeURIComponent(target)}`, reader)).text();
      expect(html).not.toContain('Continue reading');
      expect(html).not.toMatch(/href="(https?:)?\/\/|href="\/\\|href="javascript/);
      const res = await post(`${ACCOUNT}/dev-topup`, { amount: '1', return: target }, { reader });
      expect(res.headers.get('location')).toBe(`${ACCOUNT}?notice=dev-topup`);
    },
  );
});

describe('the paywall page (402, HTML)', () => {
  it('tells a new visitor the price and offers to create an account that returns to the article', async () => {
    await useStandardSite();
    const res = await page('/articles/hello?ref=home');
    expect(res.status).toBe(402);
    expect(res.headers.get('paywall-price-micros')).toBe('2500');
    expectPageHeaders(res);
    const html = await res.text();
    expectCspSatisfied(html);
    expect(html).toContain('data-testid="price">$0.0025<');
    expect(html).toContain('action="/__paywall/account/create"');
    expect(html).toContain('name="return" value="/articles/hello?ref=home"');
  });

  it('offers one-click top-ups when the balance is short', async () => {
    await useStandardSite();
    const reader = await newReader(1_000);
    const res = await page('/articles/hello', reader);
    expect(res.status).toBe(402);
    const html = await res.text();
    expect(html).toContain('data-testid="balance">$0.001<');
    expect(html).toContain('action="/__paywall/account/topup"');
    expect(html).toContain('With a card (Stripe Checkout)');
    expect(html).toContain('>Add $5.00</button>');
    expect(html).toContain('action="/__paywall/account/dev-topup"');
    expect(html).toContain('name="return" value="/articles/hello"');
  });

  it('points a reader at their cap when the cap, not the balance, stops them', async () => {
    await useStandardSite();
    const reader = await newReader(1_000_000);
    await call('/__paywall/api/me/settings', { method: 'PUT', headers: { ...reader.auth, 'content-type': 'application/json' }, body: '{"dailyCapMicros":1000}' });
    const html = await (await page('/articles/hello', reader)).text();
    expect(html).toContain('href="/__paywall/account?return=%2Farticles%2Fhello#daily-cap"');
  });

  it('offers to pay and read when the balance covers the price', async () => {
    await useStandardSite();
    const reader = await newReader(1_000_000);
    const res = await call('/articles/hello', { headers: { cookie: `paywall_token=${reader.token}`, 'paywall-max-price-micros': '100' } });
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

describe('page helpers', () => {
  it('serves the stylesheet the pages link to', async () => {
    const res = await call('/__paywall/assets/pages-v3.css');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await res.text()).toContain('.card');
  });

  it('reads dollars exactly, without floats', () => {
    expect(parseUsd('5')).toBe(5_000_000);
    expect(parseUsd('0.50')).toBe(500_000);
    expect(parseUsd('$2.5')).toBe(2_500_000);
    expect(parseUsd('1,000.25')).toBe(1_000_250_000);
    expect(parseUsd('0.000001')).toBe(1);
    expect(parseUsd('0.29')).toBe(290_000);
    for (const bad of ['', 'abc', '-1', '1e3', '1.2345678', '.5', '10000000']) expect(parseUsd(bad)).toBeNull();
  });

  it('accepts only same-site relative return paths', () => {
    expect(safeReturnPath('/articles/a?b=1')).toBe('/articles/a?b=1');
    for (const bad of ['//evil.example', '/\\evil', 'https://evil.example', 'evil', '/a\nb', '/__paywall/account', '', null]) {
      expect(safeReturnPath(bad)).toBeNull();
    }
  });
});
