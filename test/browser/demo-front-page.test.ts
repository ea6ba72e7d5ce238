import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium, screenshotPath, startDemo, type Demo } from './support/demo';

let demo: Demo;
let browser: Browser;
beforeAll(async () => {
  [demo, browser] = await Promise.all([startDemo(), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

it('a new visitor reads the free front page and meets the paywall on an article', async () => {
  const page = await browser.newPage();
  await page.goto(demo.baseUrl + '/');
  await expect(page.getByRole('heading', { name: 'The Demo Gazette' })).toBeTruthy();
  expect(await page.title()).toBe('The Demo Gazette');
  await page.getByRole('link', { name: 'Ledgers at the edge' }).click();
  await page.waitForLoadState();
  expect(await page.getByTestId('price').textContent()).toBe('$0.002');
  await page.screenshot({ path: screenshotPath('paywall-anonymous'), fullPage: true });
});
