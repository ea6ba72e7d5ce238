import { expect, it } from 'vitest';
import { screenshotPath, useDemoInBrowser } from './support/demo';

const harness = useDemoInBrowser();

it('a new visitor reads the free front page and meets the paywall on an article', async () => {
  const page = await harness.browser.newPage();
  await page.goto(`${harness.demo.baseUrl}/`);
  await expect(page.getByRole('heading', { name: 'The Demo Gazette' })).toBeTruthy();
  expect(await page.title()).toBe('The Demo Gazette');
  await page.getByRole('link', { name: 'Ledgers at the edge' }).click();
  await page.waitForLoadState();
  expect(await page.getByTestId('price').textContent()).toBe('$0.002');
  await page.screenshot({ path: screenshotPath('paywall-anonymous'), fullPage: true });
});
