import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { screenshotPath, useDemoInBrowser } from './support/demo';

const harness = useDemoInBrowser();

/** Any CSP violation means a page relies on something its own policy blocks. */
function watchCsp(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  return violations;
}

const demoTopUp = (page: Page, name: string) => page.getByRole('group', { name: /^Demo top-up/ }).getByRole('button', { name });

/** Every button and button-styled link on the page is thumb-sized, and nothing is wider than the phone. */
async function fitsPhone(page: Page) {
  const layout = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    controls: [...document.querySelectorAll('button, a.button')].map((el) => {
      const r = el.getBoundingClientRect();
      return { text: el.textContent, width: r.width, height: r.height };
    }),
  }));
  expect(layout.scrollWidth).toBeLessThanOrEqual(390);
  expect(layout.controls.length).toBeGreaterThan(0);
  for (const control of layout.controls) {
    expect(control.height, control.text ?? '').toBeGreaterThanOrEqual(44);
    expect(control.width, control.text ?? '').toBeLessThanOrEqual(390);
  }
}

// The reader's first visit, from a laptop with a keyboard, is walked in wallet-journey.test.ts;
// this one is the phone, on the demo's plain address (127.0.0.1, served as DEMO_SITE).
it('the paywall and the wallet fit a phone, and a view paid by mistake is taken back from the wallet history', async () => {
  const context = await harness.browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  const page = await context.newPage();
  const csp = watchCsp(page);
  const { baseUrl, walletUrl } = harness.demo;
  const premium = `${baseUrl}/premium/annual-report`;

  // No wallet yet: the paywall, with the price and the way to a wallet.
  await page.goto(premium);
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('This article is part of the paywall');
  expect(await page.getByTestId('price').textContent()).toBe('$0.01');
  await fitsPhone(page);

  // A wallet in two taps, and the consent for this site.
  await Promise.all([
    page.waitForURL(`${walletUrl}/__paywall/connect?site=127.0.0.1&return=%2Fpremium%2Fannual-report`),
    page.getByTestId('continue-with-wallet').tap(),
  ]);
  await fitsPhone(page);
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Create a wallet' }).tap()]);
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Allow 127.0.0.1 to charge your wallet?');
  await fitsPhone(page);
  await Promise.all([page.waitForURL(premium), page.getByRole('button', { name: 'Allow and continue' }).tap()]);

  // Connected, balance short: the paywall says so and leads to the top-up.
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Your balance does not cover this article');
  expect(await page.getByTestId('balance').textContent()).toBe('$0.00');
  await fitsPhone(page);
  await page.screenshot({ path: screenshotPath('paywall-phone'), fullPage: true });

  // The top-up on the wallet comes back to the article, one tap from reading it.
  await Promise.all([page.waitForURL(/wallet\.localhost.*#top-up$/), page.getByRole('link', { name: 'Top up your wallet' }).tap()]);
  await Promise.all([page.waitForEvent('load'), demoTopUp(page, 'Add $1.00').tap()]);
  expect(await page.getByTestId('balance').textContent()).toBe('$1.00');
  await Promise.all([page.waitForURL(premium), page.getByRole('link', { name: 'Pay $0.01 and read' }).tap()]);
  expect(await page.getByTestId('article-title').textContent()).toBe('Premium: the annual report');

  // The wallet history shows the charge, which can still be taken back: the money returns.
  await page.goto(`${walletUrl}/__paywall/account`);
  expect(await page.getByTestId('balance').textContent()).toBe('$0.99');
  const charge = page.getByTestId('entry-charge');
  expect(await charge.count()).toBe(1);
  expect(await charge.textContent()).toContain('/premium/annual-report');
  expect(await charge.textContent()).toContain('−$0.01');
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: screenshotPath('account-phone'), fullPage: true });
  await charge.getByLabel('Why take it back?').selectOption({ index: 0 });
  await Promise.all([page.waitForEvent('load'), charge.getByRole('button', { name: 'Take back' }).tap()]);
  expect(await page.getByTestId('notice').textContent()).toContain('View taken back');
  expect(await page.getByTestId('balance').textContent()).toBe('$1.00');
  expect(await page.getByTestId('entry-refund').textContent()).toContain('+$0.01');
  expect(await page.getByTestId('entry-refund').textContent()).toContain('Taken back: opened it by mistake');
  expect(await page.getByTestId('entry-charge').getByRole('button', { name: 'Take back' }).count()).toBe(0);
  await fitsPhone(page);
  await page.screenshot({ path: screenshotPath('account-taken-back-phone'), fullPage: true });

  expect(csp).toEqual([]);
  await context.close();
});
