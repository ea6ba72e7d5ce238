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

async function styled(page: Page) {
  // The stylesheet applied: the primary button is the paywall's blue, not the browser's grey.
  return page.locator('.button, button').first().evaluate((el) => getComputedStyle(el).backgroundColor);
}

it('a reader goes from nothing to reading a paid article, and sees the charge on the account page', async () => {
  const context = await harness.browser.newContext({ viewport: { width: 1024, height: 800 } });
  const page = await context.newPage();
  const csp = watchCsp(page);

  // A priced article: the paywall, with the price and no balance yet.
  await page.goto(harness.demo.baseUrl + '/');
  await page.getByRole('link', { name: 'Ledgers at the edge' }).click();
  await page.waitForLoadState();
  expect(page.url()).toBe(harness.demo.baseUrl + '/articles/edge-ledgers');
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('This article is part of the paywall');
  expect(await page.getByTestId('price').textContent()).toBe('$0.002');
  expect(await styled(page)).toBe('rgb(29, 78, 216)');
  await page.screenshot({ path: screenshotPath('paywall'), fullPage: true });

  // Keyboard only: Tab reaches the action (after the link back to the site), with a visible
  // focus ring; Enter creates the account.
  const focusOrder: { text: string | null; outline: string }[] = [];
  for (let i = 0; i < 2; i++) {
    await page.keyboard.press('Tab');
    focusOrder.push(
      await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        return { text: el.textContent, outline: getComputedStyle(el).outlineStyle };
      }),
    );
  }
  expect(focusOrder).toEqual([
    { text: '← Back to the site', outline: 'solid' },
    { text: 'Create an account to read', outline: 'solid' },
  ]);
  await Promise.all([page.waitForURL(/\/__paywall\/account\?/), page.keyboard.press('Enter')]);

  // The account page, created, remembering the article.
  expect(await page.getByTestId('notice').textContent()).toContain('Your reading account is ready');
  expect(await page.getByTestId('balance').textContent()).toBe('$0.00');
  expect(await page.getByRole('region', { name: 'Continue reading' }).textContent()).toContain('/articles/edge-ledgers costs $0.002');
  expect(await page.getByTestId('pay-and-read').count()).toBe(0);

  // The demo top-up, then one click to pay and read.
  await demoTopUp(page, 'Add $1.00').click();
  await page.waitForLoadState();
  expect(await page.getByTestId('balance').textContent()).toBe('$1.00');
  expect(await page.getByTestId('notice').textContent()).toContain('Demo top-up added');
  await page.screenshot({ path: screenshotPath('account-topped-up'), fullPage: true });
  const pay = page.getByRole('link', { name: 'Pay $0.002 and read' });
  await Promise.all([page.waitForURL(harness.demo.baseUrl + '/articles/edge-ledgers'), pay.click()]);
  expect(await page.getByTestId('article-title').textContent()).toBe('Ledgers at the edge');
  await page.screenshot({ path: screenshotPath('article'), fullPage: true });

  // Reading it again inside the re-view window is free; the account page shows the one charge.
  await page.reload();
  expect(await page.getByTestId('article-title').textContent()).toBe('Ledgers at the edge');
  await page.getByRole('link', { name: 'Your account' }).click();
  await page.waitForLoadState();
  expect(await page.getByTestId('balance').textContent()).toBe('$0.998');
  const charges = page.getByTestId('entry-charge');
  expect(await charges.count()).toBe(1);
  expect(await charges.first().textContent()).toContain('/articles/edge-ledgers');
  expect(await charges.first().textContent()).toContain('−$0.002');
  expect(await page.getByTestId('entry-topup').first().textContent()).toContain('+$1.00');
  await page.screenshot({ path: screenshotPath('account'), fullPage: true });

  expect(csp).toEqual([]);
  await context.close();
});

it('the paywall page fits a phone: nothing wider than the screen, thumb-sized controls', async () => {
  const context = await harness.browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const csp = watchCsp(page);

  // A reader whose balance is short meets the paywall with top-up buttons.
  await page.goto(harness.demo.baseUrl + '/__paywall/account');
  await page.getByRole('button', { name: 'Create my account' }).click();
  await page.waitForLoadState();
  await page.goto(harness.demo.baseUrl + '/premium/annual-report');
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Your balance does not cover this article');
  expect(await page.getByTestId('price').textContent()).toBe('$0.01');

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
  await page.screenshot({ path: screenshotPath('paywall-phone'), fullPage: true });

  // The top-up from the paywall comes back to the article, one tap from reading it.
  await demoTopUp(page, 'Add $1.00').tap();
  await page.waitForLoadState();
  await Promise.all([page.waitForURL(harness.demo.baseUrl + '/premium/annual-report'), page.getByRole('link', { name: 'Pay $0.01 and read' }).tap()]);
  expect(await page.getByTestId('article-title').textContent()).toBe('Premium: the annual report');
  await page.goto(harness.demo.baseUrl + '/__paywall/account');
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: screenshotPath('account-phone'), fullPage: true });

  expect(csp).toEqual([]);
  await context.close();
});
