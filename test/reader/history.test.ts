import { reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { historyCsv } from '../../src/pages/history-text';
import { decodeEntities } from '../../src/paywall/deliver';
import { walletOf } from '../../src/wallet/wallet-stub';
import { adminCall, call, json, ADMIN, putSite, readToEnd, siteDoc, STANDARD_RULES } from '../support/paywall';
import { connect, get, newWallet, NEWS, WALLET } from '../identity/support';

/**
 * Issue 16, a history a person can read: each charge names its publisher and the article's
 * title (read from the paid page's <title> as it streamed), top-ups say what they were,
 * times follow the reader's zone where the browser gives it, and the whole of it exports as CSV.
 */

afterEach(() => reset());

const RULES = [{ pattern: '/html/*', priceMicros: 3000 }, { pattern: '/broken-html/*', priceMicros: 3000 }, ...STANDARD_RULES];

async function reader() {
  expect((await putSite(siteDoc(RULES, NEWS), NEWS)).status).toBe(200);
  const { session, readerId } = await newWallet(1_000_000);
  const cookie = await connect(session, NEWS, '/html/x');
  return { session, readerId, cookie };
}

const read = async (path: string, cookie: string) => readToEnd(await call(path, { headers: { cookie, accept: 'text/html' } }, NEWS));

async function charges(readerId: string) {
  return (await walletOf(env, readerId).ledger(50)).entries.filter((e) => e.type === 'charge');
}

describe('the article title, read as the paid page streams', () => {
  it('keeps the head title of a paid HTML answer on its charge: entities decoded, whitespace collapsed, bounded', async () => {
    const { readerId, cookie } = await reader();
    const title = encodeURIComponent('  The Tide &amp; the\n Moon &#8212; part&nbsp;1 ');
    const res = await read(`/html/tide?title=${title}`, cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get('paywall-charged-micros')).toBe('3000');
    // The page reached the reader whole: the rewriter changes nothing.
    expect(await res.text()).toContain('<title>  The Tide &amp; the\n Moon &#8212; part&nbsp;1 </title>');
    await expect.poll(async () => (await charges(readerId))[0]?.title).toBe('The Tide & the Moon — part 1');

    await read(`/html/long?title=${'A'.repeat(5000)}`, cookie);
    await expect.poll(async () => (await charges(readerId))[0]?.title?.length).toBe(200);
  });

  it('an HTML page the origin breaks off is refunded, and its charge keeps no title', async () => {
    const { readerId, cookie } = await reader();
    const res = await call('/broken-html/x', { headers: { cookie, accept: 'text/html' } }, NEWS);
    expect(res.status).toBe(200);
    await res.text().catch(() => null);
    await expect
      .poll(async () => (await walletOf(env, readerId).ledger(50)).entries.map((e) => e.type))
      .toEqual(['refund', 'charge', 'topup']);
    expect((await charges(readerId))[0]?.title ?? null).toBeNull();
    expect((await walletOf(env, readerId).summary()).balanceMicros).toBe(1_000_000);
  });

  it('keeps nothing for a page without a title (not even the <svg> one in its body), nor for an answer that is not HTML', async () => {
    const { readerId, cookie } = await reader();
    await read('/html/untitled', cookie);
    await read('/premium/json', cookie);
    await new Promise((r) => setTimeout(r, 200));
    const rows = await charges(readerId);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.title).toBeUndefined();
  });

  it('decodes the references a title uses', () => {
    expect(decodeEntities('a &lt;b&gt; &quot;c&quot; &#39;d&#x27; &bogus; &#0; &#xD800;')).toBe('a <b> "c" \'d\' &bogus; &#0; &#xD800;');
  });
});

describe('the history, as a person reads it', () => {
  it('names top-ups and credits for what they were, and each charge by its title and publisher', async () => {
    const { session, readerId, cookie } = await reader();
    await read(`/html/tide?title=${encodeURIComponent('The Tide')}`, cookie);
    await read('/premium/untitled-story', cookie);
    const credited = await adminCall(
      `/__paywall/api/admin/readers/${readerId}/credit`,
      json({ amountMicros: 5000, reason: 'Sorry about the outage' }, ADMIN),
    );
    expect(credited.status).toBe(200);
    await expect.poll(async () => (await charges(readerId)).some((e) => e.title === 'The Tide')).toBe(true);

    const page = await (await get('/__paywall/account', WALLET, session)).text();
    expect(page).toContain('<span class="tag">Demo top-up</span>');
    expect(page).toContain('<span class="tag">Credit from support</span> Sorry about the outage');
    expect(page).toMatch(
      /<span class="title" data-testid="entry-title">The Tide<\/span> <span class="hint where">news\.test<wbr\/>\/html<wbr\/>\/tide<\/span>/,
    );
    expect(page).toMatch(/<span class="tag">Article<\/span> news\.test<wbr\/>\/premium<wbr\/>\/untitled-story/);
    // Times: UTC in the page, labelled, and the same-origin script that shows them in the reader's zone.
    expect(page).toContain('data-local-heading="true">When (UTC)</th>');
    expect(page).toMatch(/<time datetime="\d{4}-\d\d-\d\dT[^"]+Z" data-local="true">/);
    expect(page).toContain('<script src="/__paywall/assets/local-times-v1.js" defer=""></script>');
    const script = await call('/__paywall/assets/local-times-v1.js', {}, WALLET);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect(await script.text()).toContain('resolvedOptions().timeZone');
  });
});

describe('the CSV export', () => {
  it('on the wallet host, and from the API with Accept: text/csv: every entry, newest first, amounts signed', async () => {
    const { session, readerId, cookie } = await reader();
    await read(`/html/tide?title=${encodeURIComponent('The Tide, "part 1"')}`, cookie);
    await expect.poll(async () => (await charges(readerId))[0]?.title).toBe('The Tide, "part 1"');

    const res = await call('/__paywall/account/history.csv', { headers: { cookie: session } }, WALLET);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="wallet-history-\d{4}-\d\d-\d\d\.csv"$/);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    const lines = (await res.text()).split('\r\n');
    expect(lines[0]).toBe('date_utc,type,what,title,site,path,detail,amount_usd,balance_after_usd,amount_micros,balance_after_micros,id');
    expect(lines[1]).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z,charge,Article,"The Tide, ""part 1""",news\.test,\/html\/tide,,-0\.003,0\.997,-3000,997000,[0-9a-f-]{36}$/,
    );
    expect(lines[2]).toMatch(/,topup,Demo top-up,,,,,1\.00,1\.00,1000000,1000000,/);
    expect(lines[3]).toBe('');

    // Without the session: back to the sign-in, no data.
    const anonymous = await call('/__paywall/account/history.csv', { redirect: 'manual' }, WALLET);
    expect(anonymous.status).toBe(303);

    const api = await call('/__paywall/api/me/ledger', { headers: { cookie: session, accept: 'text/csv' } }, WALLET);
    expect(api.status).toBe(200);
    expect(api.headers.get('content-type')).toMatch(/^text\/csv/);
    expect((await api.text()).split('\r\n')).toHaveLength(4);
    // JSON stays the default.
    const asJson = await call('/__paywall/api/me/ledger', { headers: { cookie: session } }, WALLET);
    expect((await asJson.json<{ entries: { title?: string }[] }>()).entries[0]!.title).toBe('The Tide, "part 1"');
  });

  it('defuses cells a spreadsheet would run as formulas', () => {
    const csv = historyCsv([
      {
        id: 'x',
        type: 'charge',
        amountMicros: 1,
        balanceAfterMicros: 0,
        at: '2025-01-01T00:00:00.000Z',
        host: 'a.test',
        path: '/p',
        title: '=HYPERLINK("http://evil")',
      },
      { id: 'y', type: 'credit', amountMicros: 1, balanceAfterMicros: 1, at: '2025-01-01T00:00:00.000Z', reason: '@SUM(A1)' },
    ]);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(csv).toContain(`'@SUM(A1)`);
    expect(csv).toContain(',-0.000001,');
  });
});
