import { reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { receiptUrl } from '../../src/paywall/deliver';
import { addReceiptBar, inlineStylesAllowed, receiptBarHtml } from '../../src/paywall/receipt-bar';
import { walletOf } from '../../src/wallet/wallet-stub';
import { call, HOST, newReader, putSite, siteDoc, STANDARD_RULES, view, type Reader } from '../support/paywall';

/**
 * Issue 16, a receipt on the page: a site that opts in (`receiptBar: true`) gets a small
 * bar first in the body of each paid HTML answer, with the amount, the balance after and
 * the receipt's link, without breaking the page or its Content Security Policy.
 */

afterEach(() => reset());

const RULES = [
  { pattern: '/html/free/*', priceMicros: 0 },
  { pattern: '/html/again/*', priceMicros: 3000, reviewWindowSeconds: 3600 },
  { pattern: '/html/*', priceMicros: 3000 },
  { pattern: '/broken-html/*', priceMicros: 3000 },
  ...STANDARD_RULES,
];

async function site(receiptBar?: boolean): Promise<Reader> {
  const doc = { ...siteDoc(RULES), ...(receiptBar === undefined ? {} : { receiptBar }) };
  expect((await putSite(doc)).status).toBe(200);
  return newReader(1_000_000);
}

const html = (path: string, reader: Reader) => view(path, reader, { accept: 'text/html' });
const BAR = /<aside class="paywall-receipt"[^>]*>.*?<\/aside>/s;

function barOf(page: string): string | null {
  return BAR.exec(page)?.[0] ?? null;
}

describe('the receipt bar on a paid HTML answer', () => {
  it('goes first in the body of a site that opts in: amount, balance after, the receipt on the wallet host; the title is still read', async () => {
    const reader = await site(true);
    const res = await html(`/html/story?title=${encodeURIComponent('A &amp; B')}`, reader);
    expect(res.status).toBe(200);
    const receipt = res.headers.get('paywall-receipt')!;
    expect(receipt).toMatch(/^[0-9a-f-]{36}$/);
    // It grew by the bar: the origin's length would cut it short.
    expect(res.headers.get('content-length')).toBeNull();
    const page = await res.text();
    // No CSP: its styles come with it, in a <style> element scoped to its class.
    expect(page).toContain('<body class="story"><style>aside.paywall-receipt[data-paywall-receipt]{');
    const bar = barOf(page)!;
    expect(page.indexOf('</style><aside')).toBeGreaterThan(0);
    expect(bar).toBe(
      '<aside class="paywall-receipt" data-paywall-receipt="" aria-label="Paywall receipt"><p><span>Paid <strong>$0.003</strong> for this page</span>' +
        '<span class="sep" aria-hidden="true"> &#xb7; </span><span>Balance <strong>$0.997</strong></span><span class="sep" aria-hidden="true"> &#xb7; </span>' +
        `<a href="http://wallet.test/__paywall/account/receipts/${receipt}">Receipt, or take this view back</a></p></aside>`,
    );
    // The rest of the page went through unchanged, and the same pass read its title.
    expect(page).toContain('<title>A &amp; B</title>');
    expect(page).toContain(`<h1>Story</h1><p>${'Words. '.repeat(200)}</p></body></html>`);
    expect(page.match(/paywall-receipt"/g)).toHaveLength(1);
    await expect
      .poll(async () => (await walletOf(env, reader.readerId).ledger(10)).entries.find((e) => e.type === 'charge')?.title)
      .toBe('A & B');
  });

  it('is not added by a site that has not opted in, nor for a free view, a free re-view, an idempotent replay, or an answer that is not HTML', async () => {
    const off = await site(false);
    const unchanged = await html('/html/story?title=T', off);
    expect(unchanged.headers.get('paywall-charged-micros')).toBe('3000');
    expect(await unchanged.text()).not.toContain('paywall-receipt');
    const omitted = await site(undefined);
    expect(await (await html('/html/story', omitted)).text()).not.toContain('paywall-receipt');

    const reader = await site(true);
    expect(await (await html('/html/free/x', reader)).text()).not.toContain('paywall-receipt');
    const first = await html('/html/again/x', reader);
    expect(first.headers.get('paywall-charged-micros')).toBe('3000');
    expect(await first.text()).toContain('paywall-receipt');
    const again = await html('/html/again/x', reader);
    expect(again.headers.get('paywall-charged-micros')).toBe('0');
    expect(await again.text()).not.toContain('paywall-receipt');

    const key = { 'idempotency-key': crypto.randomUUID() };
    const paid = await view('/html/key', reader, { accept: 'text/html', ...key });
    expect(await paid.text()).toContain('paywall-receipt');
    const replayed = await view('/html/key', reader, { accept: 'text/html', ...key });
    expect(replayed.headers.get('idempotency-replayed')).toBe('true');
    expect(await replayed.text()).not.toContain('paywall-receipt');

    const json = await view('/premium/data', reader);
    expect(json.headers.get('paywall-charged-micros')).toBe('10000');
    expect(await json.text()).not.toContain('paywall-receipt');
  });

  it("adds its styles only where the page's policies allow inline styles; the markup never has a style attribute or a script", async () => {
    const reader = await site(true);
    const cases: [string, boolean][] = [
      [`csp=${encodeURIComponent("default-src 'self'")}`, false],
      [`csp=${encodeURIComponent("default-src 'self'; style-src 'self' 'unsafe-inline'")}`, true],
      [`csp=${encodeURIComponent("style-src 'unsafe-inline' 'nonce-abc'")}`, false],
      [`csp=${encodeURIComponent("img-src *; frame-ancestors 'none'")}`, true],
      [`csp-report-only=${encodeURIComponent("style-src 'self'")}`, false],
      [`meta-csp=${encodeURIComponent("style-src 'self'")}`, false],
      [`meta-csp=${encodeURIComponent("style-src 'unsafe-inline'")}`, true],
    ];
    for (const [query, styled] of cases) {
      const res = await html(`/html/csp?${query}`, reader);
      const page = await res.text();
      expect(barOf(page), query).not.toBeNull();
      expect(page.includes('<style>'), query).toBe(styled);
      expect(barOf(page)).not.toMatch(/style=|<script|on\w+=/i);
    }
    // The origin's policy goes to the reader as it was.
    const strict = await html(`/html/csp?csp=${encodeURIComponent("default-src 'none'")}`, reader);
    expect(strict.headers.get('content-security-policy')).toBe("default-src 'none'");
    await strict.text();
  });

  it('leaves a broken-off page refunded, as without the bar', async () => {
    const reader = await site(true);
    const res = await call('/broken-html/x', { headers: { ...reader.auth, accept: 'text/html' } }, HOST);
    expect(res.status).toBe(200);
    await res.text().catch(() => null);
    await expect
      .poll(async () => (await walletOf(env, reader.readerId).ledger(50)).entries.map((e) => e.type))
      .toEqual(['refund', 'charge', 'topup']);
    expect((await walletOf(env, reader.readerId).summary()).balanceMicros).toBe(1_000_000);
  });
});

describe('the receipt bar, piece by piece', () => {
  it('escapes every text it writes', () => {
    const bar = receiptBarHtml(
      { chargedMicros: 2000, balanceMicros: -1_000_000, receiptUrl: 'http://w.test/r/"><script>x</script>&\'' },
      false,
    );
    expect(bar).toContain('href="http://w.test/r/&quot;&gt;&lt;script&gt;x&lt;/script&gt;&amp;&#39;"');
    // Beyond ASCII as references: the bar reads the same in a page of any charset.
    expect(bar).toContain('<span>Balance <strong>&#x2212;$1.00</strong></span>');
    expect(bar).toMatch(/^[\x00-\x7f]*$/);
    expect(bar).not.toContain('<script');
  });

  it('links the receipt on the wallet host, or on the publisher host when there is none', () => {
    const r = '0b8c5a9e-1f2d-4c3b-9a8e-7d6c5b4a3f21';
    expect(receiptUrl({ WALLET_HOST: 'wallet.example' } as Env, 'https://news.example/a', r)).toBe(
      `https://wallet.example/__paywall/account/receipts/${r}`,
    );
    expect(receiptUrl({ WALLET_HOST: 'wallet.localhost' } as Env, 'http://demo.localhost:8787/a', r)).toBe(
      `http://wallet.localhost:8787/__paywall/account/receipts/${r}`,
    );
    expect(receiptUrl({} as Env, 'https://news.example/a?b=c', r)).toBe(`https://news.example/__paywall/account/receipts/${r}`);
  });

  it('reads Content Security Policies as a browser does for a <style> element', () => {
    expect(inlineStylesAllowed([])).toBe(true);
    expect(inlineStylesAllowed(["script-src 'self'"])).toBe(true);
    expect(inlineStylesAllowed(["default-src 'self'"])).toBe(false);
    expect(inlineStylesAllowed(["default-src 'self' 'UNSAFE-INLINE'"])).toBe(true);
    // style-src-elem governs <style> over style-src, and style-src over default-src.
    expect(inlineStylesAllowed(["style-src 'unsafe-inline'; style-src-elem 'self'"])).toBe(false);
    expect(inlineStylesAllowed(["style-src 'self'; style-src-elem 'unsafe-inline'"])).toBe(true);
    expect(inlineStylesAllowed(["default-src 'none'; style-src 'unsafe-inline'"])).toBe(true);
    // A hash or a nonce switches 'unsafe-inline' off.
    expect(inlineStylesAllowed(["style-src 'unsafe-inline' 'sha256-abc='"])).toBe(false);
    // The first directive of a name counts; every policy must allow it, joined by commas or not.
    expect(inlineStylesAllowed(["style-src 'unsafe-inline'; style-src 'self'"])).toBe(true);
    expect(inlineStylesAllowed(["style-src 'unsafe-inline', style-src 'self'"])).toBe(false);
    expect(inlineStylesAllowed(["style-src 'unsafe-inline'", "default-src 'self'"])).toBe(false);
  });

  it('streams: the bar reaches the reader while the origin is still sending the page', async () => {
    let feed!: ReadableStreamDefaultController<Uint8Array>;
    const origin = new ReadableStream<Uint8Array>({ start: (c) => void (feed = c) });
    const rewriter = addReceiptBar(
      new HTMLRewriter(),
      () => ({ chargedMicros: 2000, balanceMicros: 998_000, receiptUrl: 'http://w.test/r' }),
      [],
      Promise.resolve(true),
    );
    const out = rewriter.transform(new Response(origin)).body!.getReader();
    feed.enqueue(new TextEncoder().encode(`<!doctype html><html><head><title>T</title></head><body><p>${'Start. '.repeat(500)}`));
    let seen = '';
    const decoder = new TextDecoder();
    while (!seen.includes('</aside>')) {
      const { value, done } = await out.read();
      expect(done).toBe(false);
      seen += decoder.decode(value, { stream: true });
    }
    expect(seen).toContain('<body><style>');
    // The origin has not finished: the page is still open.
    feed.enqueue(new TextEncoder().encode('End.</p></body></html>'));
    feed.close();
    for (let r = await out.read(); !r.done; r = await out.read()) seen += decoder.decode(r.value, { stream: true });
    expect(seen.endsWith('End.</p></body></html>')).toBe(true);
  });

  it('leaves the page as it was when the setting cannot be read', async () => {
    const rewriter = addReceiptBar(
      new HTMLRewriter(),
      () => ({ chargedMicros: 1, balanceMicros: 1, receiptUrl: 'x' }),
      [],
      Promise.reject(new Error('KV down')),
    );
    const page = '<html><body><p>x</p></body></html>';
    expect(await rewriter.transform(new Response(page)).text()).toBe(page);
  });
});
