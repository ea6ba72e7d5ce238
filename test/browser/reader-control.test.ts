import type { BrowserContext, Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { screenshotPath, useDemoInBrowser } from './support/demo';

/**
 * Issue 16, the reader in control, in Chromium against the real demo: the daily cap
 * reached and raised, ask-before-paying then paying with one click, and a history that
 * names each article and shows times in the reader's zone. (Withdrawing needs Stripe,
 * which the demo does not have: it is tested in workerd, test/stripe/withdraw.test.ts.)
 */

const harness = useDemoInBrowser();

function watch(context: BrowserContext): { csp: string[]; errors: string[] } {
  const seen = { csp: [] as string[], errors: [] as string[] };
  context.on('page', (page: Page) => {
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) seen.csp.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => seen.errors.push(`${page.url()}: ${e.message}`));
  });
  return seen;
}

const h1 = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();
const text = (page: Page, testId: string) => page.getByTestId(testId).textContent();

it('the cap reached and raised, ask before paying then one click, and a readable history', async () => {
  const { demoUrl, walletUrl } = harness.demo;
  const context = await harness.browser.newContext({ viewport: { width: 1024, height: 800 }, timezoneId: 'Europe/Paris' });
  const seen = watch(context);
  const page = await context.newPage();

  // A new wallet, connected to demo.localhost from a premium report, topped up in the demo.
  await page.goto(`${demoUrl}/premium/annual-report`);
  await Promise.all([page.waitForURL(/wallet\.localhost/), page.getByTestId('continue-with-wallet').click()]);
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Create a wallet' }).click()]);
  await Promise.all([
    page.waitForURL(`${demoUrl}/premium/annual-report`),
    page.getByRole('button', { name: 'Allow and continue' }).click(),
  ]);
  expect(await h1(page)).toBe('Your balance does not cover this article');
  await Promise.all([page.waitForURL(/wallet\.localhost.*#top-up$/), page.getByRole('link', { name: 'Top up your wallet' }).click()]);
  await page
    .getByRole('group', { name: /^Demo top-up/ })
    .getByRole('button', { name: 'Add $1.00' })
    .click();
  await page.waitForLoadState();
  expect(await text(page, 'balance')).toBe('$1.00');

  // A daily cap of $0.015: the first report ($0.01) fits, and the wallet says where today stands.
  await page.getByLabel('Most you want to spend per day (USD)').fill('0.015');
  await page.getByRole('button', { name: 'Save cap' }).click();
  await page.waitForLoadState();
  expect(await text(page, 'cap-status')).toMatch(/^Spent today \$0\.00 of your \$0\.015 daily cap; it resets at 00:00 UTC, in /);
  await Promise.all([page.waitForURL(`${demoUrl}/premium/annual-report`), page.getByTestId('pay-and-read').click()]);
  expect(await text(page, 'article-title')).toBe('Premium: the annual report');

  // The next one would go over: the paywall says so, with today's spending and the reset, and offers no pay link.
  await page.goto(`${demoUrl}/premium/second-look`);
  expect(await h1(page)).toBe('This would exceed your daily cap');
  expect(await text(page, 'cap-status')).toMatch(
    /^Spent today \$0\.01 of your \$0\.015 daily cap; it resets at 00:00 UTC, in (\d+\u00a0h(\u00a0\d+\u00a0min)?|\d+\u00a0min|under a minute)\.$/,
  );
  expect(await page.getByRole('link', { name: /and read/ }).count()).toBe(0);
  await page.screenshot({ path: screenshotPath('cap-exceeded'), fullPage: true });

  // To the wallet: its Continue reading box says the same, and leads to the cap, not to a refusal.
  await Promise.all([page.waitForURL(/wallet\.localhost.*#daily-cap$/), page.getByTestId('change-cap').click()]);
  expect(await text(page, 'cap-blocks')).toContain('This would exceed your daily cap');
  expect(await page.getByTestId('pay-and-read').count()).toBe(0);
  await page.screenshot({ path: screenshotPath('cap-account-blocked'), fullPage: true });

  // Raised: the one click is back, and it pays.
  await page.getByLabel('Most you want to spend per day (USD)').fill('0.05');
  await page.getByRole('button', { name: 'Save cap' }).click();
  await page.waitForLoadState();
  expect(await text(page, 'notice')).toContain('Your daily cap is saved');
  await Promise.all([page.waitForURL(`${demoUrl}/premium/second-look`), page.getByTestId('pay-and-read').click()]);
  expect(await text(page, 'article-title')).toBe('second-look');

  // Ask before paying more than $0.005 an article.
  await page.goto(`${walletUrl}/__paywall/account#ask-above`);
  await page.getByLabel('Pay automatically up to (USD per article)').fill('0.005');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.waitForLoadState();
  expect(await text(page, 'notice')).toContain('articles above that price will ask you first');

  // A $0.002 article is paid without a question; a $0.01 report asks, with its price.
  await page.goto(`${demoUrl}/articles/edge-ledgers`);
  expect(await text(page, 'article-title')).toBe('Ledgers at the edge');
  await page.goto(`${demoUrl}/premium/third-act`);
  expect(await h1(page)).toBe('Pay $0.01 for this article?');
  expect(await text(page, 'price')).toBe('$0.01');
  await page.screenshot({ path: screenshotPath('ask-before-paying'), fullPage: true });
  await Promise.all([page.waitForURL(/\/premium\/third-act\?paywall_confirm=/), page.getByTestId('confirm-pay').click()]);
  expect(await text(page, 'article-title')).toBe('third-act');
  // The click paid that article once: loading it again asks again.
  await page.reload();
  expect(await h1(page)).toBe('Pay $0.01 for this article?');

  // The history: each article by its title and publisher, the top-up by what it was, times in Paris.
  await page.goto(`${walletUrl}/__paywall/account`);
  expect(await text(page, 'balance')).toBe('$0.968');
  const titles = await page.getByTestId('entry-title').allTextContents();
  expect(titles).toEqual([
    'third-act — The Demo Gazette',
    'Ledgers at the edge — The Demo Gazette',
    'second-look — The Demo Gazette',
    'Premium: the annual report — The Demo Gazette',
  ]);
  expect(await page.getByTestId('entry-topup').textContent()).toContain('Demo top-up');
  expect(await page.getByRole('columnheader', { name: /^When/ }).textContent()).toBe('When (Europe/Paris)');
  const shown = await page
    .locator('time')
    .first()
    .evaluate((t) => ({ iso: t.getAttribute('datetime')!, text: t.textContent! }));
  const paris = new Date(shown.iso).toLocaleString('sv-SE', { timeZone: 'Europe/Paris' }).slice(0, 16);
  expect(shown.text.replace(/\s+/g, ' ')).toBe(paris);
  await page.screenshot({ path: screenshotPath('history-readable'), fullPage: true });

  // The CSV link downloads the same history.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('history-csv').click()]);
  expect(download.suggestedFilename()).toMatch(/^wallet-history-\d{4}-\d\d-\d\d\.csv$/);

  expect(seen.csp).toEqual([]);
  expect(seen.errors).toEqual([]);
  await context.close();
}, 120_000);
