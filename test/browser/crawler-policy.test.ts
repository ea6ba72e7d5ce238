import { expect, it } from 'vitest';
import { DEMO_ADMIN_TOKEN, screenshotPath, useDemoInBrowser } from './support/demo';

const harness = useDemoInBrowser();

it('an admin blocks AI crawlers and lets search engines in free from the site editor; the manifest publishes it', async () => {
  const page = await harness.browser.newPage({ viewport: { width: 1200, height: 900 } });
  await page.goto(`${harness.demo.adminUrl}/__paywall/admin`);
  await page.getByText('Operator: sign in with the admin token').click();
  await page.getByLabel('Admin token').fill(DEMO_ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in with the token' }).click();
  await page.getByRole('heading', { name: 'Sites', exact: true }).waitFor();
  await page.getByRole('link', { name: 'Edit rules of demo.localhost' }).click();
  await page.getByRole('heading', { name: 'Crawlers' }).waitFor();

  await page.getByLabel('Crawler of row 1').selectOption('category');
  await page.getByLabel('Name of crawler row 1').fill('AI Crawler');
  await page.getByLabel('Action for crawler row 1').selectOption('block');
  await page.getByLabel('Crawler of row 2').selectOption('category');
  await page.getByLabel('Name of crawler row 2').fill('Search Engine Crawler');
  await page.getByLabel('Action for crawler row 2').selectOption('allow');
  await page.getByRole('button', { name: 'Save rules' }).click();
  await page.getByTestId('saved').waitFor();
  // Saved rows come back, with two blank rows to add more.
  expect(await page.getByLabel('Name of crawler row 1').inputValue()).toBe('AI Crawler');
  expect(await page.getByLabel('Name of crawler row 3').inputValue()).toBe('');
  await page.locator('#crawlers').scrollIntoViewIfNeeded();
  await page.screenshot({ path: screenshotPath('admin-crawler-policy'), fullPage: true });

  const manifest = await (await fetch(`${harness.demo.baseUrl}/.well-known/paywall.json`)).json();
  expect(manifest.crawlers).toEqual({
    verifiedBotCategories: { 'AI Crawler': { action: 'block' }, 'Search Engine Crawler': { action: 'allow' } },
  });

  // A row that cannot be saved is shown beside its field.
  await page.getByLabel('Action for crawler row 3').selectOption('allow');
  await page.getByRole('button', { name: 'Save rules' }).click();
  await page.locator('#err-crawler-2').waitFor();
  expect(await page.locator('#err-crawler-2').textContent()).toContain('needs a name');

  const phone = await harness.browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  await phone.context().addCookies(await page.context().cookies());
  await phone.goto(page.url().replace(/\?.*$/, ''));
  await phone.locator('#crawlers').waitFor();
  await phone.screenshot({ path: screenshotPath('admin-crawler-policy-phone'), fullPage: true });
  // The card fits the phone's width: nothing to scroll sideways inside it.
  const overflow = await phone.locator('#crawlers').evaluate((card) => card.scrollWidth - card.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});
