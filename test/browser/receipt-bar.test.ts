import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminRequest } from '../../demo/admin-api.mjs';
import { DEMO_ADMIN_TOKEN, screenshotPath, useDemoInBrowser } from './support/demo';

/**
 * Issue 16, a receipt on the page, in Chromium against the real demo: the demo site turns
 * its receipt bar on through the admin API; a paid article then starts with the bar (the
 * amount, the balance, the receipt on the wallet host, where the view is taken back), and
 * a publisher whose Content-Security-Policy forbids inline styles gets it unstyled, with no
 * violation in the console.
 */

const harness = useDemoInBrowser();

/** A publisher with a strict policy: nothing inline, its own stylesheet only. */
const STRICT_CSP = "default-src 'self'; style-src 'self'; script-src 'none'; base-uri 'none'; form-action 'self'";
const STRICT_CSS = `body{margin:0;font:17px/1.6 Georgia,serif;color:#222;background:#fffdf8}
header{background:#7a1f1f;color:#fff;padding:1rem 1.5rem}header h1{margin:0;font-size:1.6rem}header a{color:#fff;text-decoration:none}
main{max-width:40rem;margin:1.5rem auto;padding:0 1.5rem}h2{font-size:1.9rem;line-height:1.2}`;
let strictOrigin: Server;

beforeAll(async () => {
  strictOrigin = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://origin').pathname;
    if (path === '/site.css') {
      res.writeHead(200, { 'content-type': 'text/css' });
      return res.end(STRICT_CSS);
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': STRICT_CSP });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>The Strict Times</title><link rel="stylesheet" href="/site.css"></head>
<body><header><h1><a href="/">The Strict Times</a></h1></header>
<main><article><h2 data-testid="article-title">A locked-down page</h2><p>This publisher allows no inline styles and no script at all.</p>
<p>The receipt still reaches the reader, in the page's own type.</p></article></main></body></html>`);
  });
  await new Promise<void>((resolve) => strictOrigin.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise((resolve) => strictOrigin?.close(resolve));
});

/** The admin API, on the admin host, as `npm start` calls it (Node's fetch would not send that Host header). */
function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  return adminRequest(Number(new URL(harness.demo.baseUrl).port), method, path, body);
}

function watch(context: BrowserContext): { csp: string[]; errors: string[] } {
  const seen = { csp: [] as string[], errors: [] as string[] };
  context.on('page', (page: Page) => {
    page.on('console', (m) => {
      if (/Content Security Policy|Content-Security-Policy/i.test(m.text())) seen.csp.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => seen.errors.push(`${page.url()}: ${e.message}`));
  });
  return seen;
}

const bar = (page: Page) => page.getByRole('complementary', { name: 'Paywall receipt' });

it('a paid article starts with its receipt, styled where the page allows it and plain where its CSP does not; the link takes the view back', async () => {
  const { demoUrl, walletUrl } = harness.demo;
  const port = new URL(demoUrl).port;

  // The demo publisher turns the bar on (the document as it is, plus the field); a strict publisher joins with it on.
  const current = await admin('GET', '/__paywall/api/admin/sites/demo.localhost');
  expect(current.status).toBe(200);
  expect((await admin('PUT', '/__paywall/api/admin/sites/demo.localhost', { ...JSON.parse(current.body), receiptBar: true })).status).toBe(
    200,
  );
  const strict = {
    host: 'strict.localhost',
    origin: `http://127.0.0.1:${(strictOrigin.address() as AddressInfo).port}`,
    rules: [{ pattern: '/stories/*', priceMicros: 5000 }],
    receiptBar: true,
  };
  expect((await admin('PUT', '/__paywall/api/admin/sites/strict.localhost', strict)).status).toBe(200);

  const context = await harness.browser.newContext({ viewport: { width: 1024, height: 700 } });
  const seen = watch(context);
  const page = await context.newPage();

  // A new wallet, connected from an article, topped up in the demo, and the article paid.
  const article = `${demoUrl}/articles/edge-ledgers`;
  await page.goto(article);
  await Promise.all([page.waitForURL(/wallet\.localhost/), page.getByTestId('continue-with-wallet').click()]);
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Create a wallet' }).click()]);
  await Promise.all([page.waitForURL(article), page.getByRole('button', { name: 'Allow and continue' }).click()]);
  await Promise.all([page.waitForURL(/wallet\.localhost.*#top-up$/), page.getByRole('link', { name: 'Top up your wallet' }).click()]);
  await Promise.all([
    page.waitForEvent('load'),
    page
      .getByRole('group', { name: /^Demo top-up/ })
      .getByRole('button', { name: 'Add $1.00' })
      .click(),
  ]);
  await Promise.all([page.waitForURL(article), page.getByTestId('pay-and-read').click()]);
  expect(await page.getByTestId('article-title').textContent()).toBe('Ledgers at the edge');

  // The bar: a named landmark, first in the body, styled (the demo sends no CSP), above the publisher's header.
  await expect.poll(() => bar(page).isVisible()).toBe(true);
  // Styled, the items stand apart by a gap (the unstyled dots are hidden), and wrap as wholes.
  expect((await bar(page).innerText()).replace(/\s+/g, ' ').trim()).toBe(
    'Paid $0.002 for this page Balance $0.998 Receipt, or take this view back',
  );
  expect(await page.evaluate(() => document.body.firstElementChild?.tagName)).toBe('STYLE');
  const styled = await bar(page).evaluate((el) => ({ bg: getComputedStyle(el).backgroundColor, font: getComputedStyle(el).fontSize }));
  expect(styled).toEqual({ bg: 'rgb(244, 246, 243)', font: '14px' });
  const box = (await bar(page).boundingBox())!;
  // In the publisher's column (its body's padding and width), one line high.
  const column = await page.evaluate(() => {
    const b = document.body.getBoundingClientRect();
    const s = getComputedStyle(document.body);
    return { top: b.top + parseFloat(s.paddingTop), width: b.width - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight) };
  });
  expect(box.y).toBe(column.top);
  expect(box.width).toBe(column.width);
  expect(box.height).toBeLessThan(48);
  const header = (await page.locator('header').boundingBox())!;
  expect(header.y).toBeGreaterThanOrEqual(box.y + box.height);
  await page.screenshot({ path: screenshotPath('receipt-bar'), fullPage: false });

  // Reloading inside the article's re-view window is free: no bar, since nothing was paid.
  await page.reload();
  expect(await page.getByTestId('article-title').textContent()).toBe('Ledgers at the edge');
  expect(await bar(page).count()).toBe(0);

  // A premium report (never free again) shows the new balance; its link opens the receipt on the wallet host.
  await page.goto(`${demoUrl}/premium/annual-report`);
  expect(await bar(page).innerText()).toContain('Balance $0.988');
  const link = bar(page).getByRole('link', { name: 'Receipt, or take this view back' });
  expect(await link.getAttribute('href')).toMatch(
    new RegExp(`^${walletUrl.replace(/\./g, '\\.')}/__paywall/account/receipts/[0-9a-f-]{36}$`),
  );
  await link.focus();
  await page.screenshot({ path: screenshotPath('receipt-bar-focus'), clip: { x: 0, y: 0, width: 1024, height: 160 } });
  await Promise.all([page.waitForURL(/^http:\/\/wallet\.localhost:\d+\/__paywall\/account\/receipts\/[0-9a-f-]{36}$/), link.click()]);
  expect(await page.locator('body').innerText()).toContain('/premium/annual-report');
  await page.screenshot({ path: screenshotPath('receipt-from-bar'), fullPage: true });
  await page.getByLabel('Why take it back?').selectOption({ index: 0 });
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Take back' }).click()]);
  await page.goto(`${walletUrl}/__paywall/account`);
  expect(await page.getByTestId('balance').textContent()).toBe('$0.998');

  // The strict publisher: connected once, then the paid story carries the bar in the page's own styles, and no violation.
  const story = `http://strict.localhost:${port}/stories/locked`;
  await page.goto(story);
  await Promise.all([page.waitForURL(/wallet\.localhost.*site=strict\.localhost/), page.getByTestId('continue-with-wallet').click()]);
  await Promise.all([page.waitForURL(story), page.getByRole('button', { name: 'Allow and continue' }).click()]);
  expect(await page.getByTestId('article-title').textContent()).toBe('A locked-down page');
  await expect.poll(() => bar(page).isVisible()).toBe(true);
  expect((await bar(page).innerText()).replace(/\s+/g, ' ').trim()).toBe(
    'Paid $0.005 for this page · Balance $0.993 · Receipt, or take this view back',
  );
  expect(await page.locator('style').count()).toBe(0);
  expect(await bar(page).evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgba(0, 0, 0, 0)');
  expect(await page.evaluate(() => document.body.firstElementChild?.tagName)).toBe('ASIDE');
  await page.screenshot({ path: screenshotPath('receipt-bar-strict-csp'), fullPage: false });

  // On a phone the bar wraps inside the column; the page does not scroll sideways.
  await page.setViewportSize({ width: 390, height: 700 });
  await page.goto(`${demoUrl}/premium/pocket-edition`);
  expect(await bar(page).innerText()).toContain('Balance $0.983');
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: screenshotPath('receipt-bar-phone'), fullPage: false });

  expect(seen.csp).toEqual([]);
  expect(seen.errors).toEqual([]);
  await context.close();
}, 150_000);

it("the operator turns the bar off and on again in the console's site editor", async () => {
  const page = await harness.browser.newPage({ viewport: { width: 1200, height: 900 } });
  const csp: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(m.text())) csp.push(m.text());
  });
  await page.goto(`${harness.demo.adminUrl}/__paywall/admin`);
  await page.getByText('Operator: sign in with the admin token').click();
  await page.getByLabel('Admin token').fill(DEMO_ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in with the token' }).click();
  await page.getByRole('heading', { name: 'Sites', exact: true }).waitFor();
  await page.goto(`${harness.demo.adminUrl}/__paywall/admin/sites/demo.localhost`);
  const box = page.getByRole('checkbox', { name: 'Show readers a receipt at the top of each paid page' });
  // The first test turned it on through the admin API.
  expect(await box.isChecked()).toBe(true);
  const card = page.locator('.card', { has: box });
  await card.scrollIntoViewIfNeeded();
  await card.screenshot({ path: screenshotPath('receipt-bar-console') });

  const stored = async () => JSON.parse((await admin('GET', '/__paywall/api/admin/sites/demo.localhost')).body);
  await box.uncheck();
  await Promise.all([page.waitForURL(/\?saved=1$/), page.getByRole('button', { name: 'Save rules' }).click()]);
  expect((await stored()).receiptBar).toBeUndefined();
  expect(await page.getByRole('checkbox', { name: 'Show readers a receipt at the top of each paid page' }).isChecked()).toBe(false);
  await page.getByRole('checkbox', { name: 'Show readers a receipt at the top of each paid page' }).check();
  await Promise.all([page.waitForURL(/\?saved=1$/), page.getByRole('button', { name: 'Save rules' }).click()]);
  expect((await stored()).receiptBar).toBe(true);
  expect(csp).toEqual([]);
  await page.close();
});
