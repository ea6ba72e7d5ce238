import { spawnSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { DEMO_ADMIN_TOKEN, screenshotPath, useDemoInBrowser } from './support/demo';

const harness = useDemoInBrowser();

const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

/** A usage summary written the way the README tells an admin to write KV by hand. */
function kvPut(key: string, value: unknown) {
  const r = spawnSync(
    process.execPath,
    [
      'node_modules/wrangler/bin/wrangler.js',
      'kv',
      'key',
      'put',
      '--binding',
      'KV',
      '--local',
      '--persist-to',
      harness.demo.persistDir,
      key,
      JSON.stringify(value),
    ],
    { encoding: 'utf8' },
  );
  expect(r.status, r.stderr).toBe(0);
}

const SEEDED = [
  {
    daysAgo: 3,
    views: 40,
    paidViews: 12,
    revenueMicros: 24_000,
    topPaths: [{ path: '/articles/edge-ledgers', paidViews: 12, revenueMicros: 24_000 }],
  },
  {
    daysAgo: 2,
    views: 25,
    paidViews: 9,
    revenueMicros: 48_000,
    topPaths: [
      { path: '/premium/annual-report', paidViews: 4, revenueMicros: 40_000 },
      { path: '/articles/card-fees', paidViews: 4, revenueMicros: 8_000 },
    ],
  },
  {
    daysAgo: 1,
    views: 60,
    paidViews: 20,
    revenueMicros: 52_000,
    topPaths: [
      { path: '/articles/edge-ledgers', paidViews: 16, revenueMicros: 32_000 },
      { path: '/premium/annual-report', paidViews: 2, revenueMicros: 20_000 },
    ],
  },
];

function watchCsp(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  page.on('pageerror', (e) => violations.push(String(e)));
  return violations;
}

it('an admin signs in, changes the article price, the demo charges it, and the revenue chart shows the usage', async () => {
  for (const s of SEEDED) {
    kvPut(`usage:demo.localhost:${day(s.daysAgo)}`, {
      host: 'demo.localhost',
      date: day(s.daysAgo),
      ...s,
      daysAgo: undefined,
      updatedAt: new Date().toISOString(),
    });
  }

  const page = await harness.browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems = watchCsp(page);

  // Sign in: a wrong token is told plainly, the right one opens the console.
  // The console is served only on the admin host; on the publisher's host it is not there.
  expect((await page.goto(`${harness.demo.baseUrl}/__paywall/admin`))!.status()).toBe(404);
  await page.goto(`${harness.demo.adminUrl}/__paywall/admin`);
  await page.getByText('Operator: sign in with the admin token').click();
  await page.getByLabel('Admin token').fill('not-the-token');
  await page.getByRole('button', { name: 'Sign in with the token' }).click();
  await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 15_000 }).toContain('That is not the admin token');
  await page.screenshot({ path: screenshotPath('admin-sign-in'), fullPage: true });
  await page.getByLabel('Admin token').fill(DEMO_ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in with the token' }).click();
  await page.getByRole('heading', { name: 'Sites', exact: true }).waitFor();
  await page.screenshot({ path: screenshotPath('admin-sites.tmp'), fullPage: true });

  // The rule editor: rows move in place with the page's script.
  await page.getByRole('link', { name: 'Edit rules of demo.localhost' }).click();
  await page.getByRole('heading', { name: 'Price rules of demo.localhost' }).waitFor();
  const url = page.url();
  const rows = page.locator('#rule-rows tr');
  expect(await rows.count()).toBe(3);
  await page.getByRole('button', { name: 'Add a rule' }).click();
  expect(await rows.count()).toBe(4);
  await page.getByRole('button', { name: 'Remove rule 4' }).click();
  expect(await rows.count()).toBe(3);
  await page.getByRole('button', { name: 'Move rule 2 up' }).click();
  expect(await page.getByLabel('Pattern of rule 1').inputValue()).toBe('/premium/*');
  await page.getByRole('button', { name: 'Move rule 1 down' }).click();
  expect(await page.getByLabel('Pattern of rule 1').inputValue()).toBe('/articles/:slug');
  expect(page.url()).toBe(url);

  // A price finer than a micro is refused beside its field, and nothing is saved.
  await page.getByLabel('Price of rule 1', { exact: true }).fill('0.0000001');
  await page.getByRole('button', { name: 'Save rules' }).click();
  await page.locator('#err-price-0').waitFor();
  expect(await page.locator('#err-price-0').textContent()).toContain('more than 6 decimals');
  await page.screenshot({ path: screenshotPath('admin-site-editor-error'), fullPage: true });

  // Preview, then save the new price.
  await page.getByLabel('Price of rule 1', { exact: true }).fill('0.003');
  await page.getByLabel('Path', { exact: true }).fill('/articles/edge-ledgers');
  await page.getByRole('button', { name: 'Preview', exact: true }).click();
  await expect.poll(() => page.getByTestId('preview-result').textContent()).toContain('price $0.003 (3,000 micros)');
  await page.getByRole('button', { name: 'Save rules' }).click();
  await page.getByTestId('saved').waitFor();
  expect(await page.getByLabel('Price of rule 1', { exact: true }).inputValue()).toBe('0.003');

  // The demo charges the new price to a reader with a balance.
  const created = await fetch(`${harness.demo.baseUrl}/__paywall/api/readers`, { method: 'POST' });
  expect(created.status).toBe(201);
  const { token } = (await created.json()) as { token: string };
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  expect(
    (
      await fetch(`${harness.demo.baseUrl}/__paywall/api/dev/topup`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ amountMicros: 100_000 }),
      })
    ).status,
  ).toBe(200);
  const viewed = await fetch(`${harness.demo.baseUrl}/articles/prepaid-reading`, { headers: { authorization: auth.authorization } });
  expect(viewed.status).toBe(200);
  expect(viewed.headers.get('paywall-charged-micros')).toBe('3000');
  expect(viewed.headers.get('paywall-balance-micros')).toBe('97000');
  await viewed.text();

  // The change is in the audit log, made through the console.
  await page.getByRole('link', { name: 'Audit log' }).first().click();
  await expect.poll(() => page.getByTestId('audit').textContent()).toContain('/articles/:slug: 2000 → 3000 micros');
  await page.screenshot({ path: screenshotPath('admin-audit'), fullPage: true });

  // Revenue: the seeded days as a chart, with totals and the top-earning paths.
  await page.goto(`${harness.demo.adminUrl}/__paywall/admin/sites/demo.localhost/revenue`);
  const chart = page.getByTestId('usage-chart');
  await chart.waitFor();
  expect(await chart.locator('rect.bar').count()).toBe(30);
  const box = (await chart.boundingBox())!;
  expect(box.width).toBeGreaterThan(600);
  const revenue = Number((await page.getByTestId('total-revenue').textContent())!.replace(/[$,]/g, ''));
  expect(revenue).toBeGreaterThanOrEqual(0.124);
  expect(await page.locator('[data-testid="top-paths"] code').first().textContent()).toBe('/premium/annual-report');

  // The reader's view reaches today's summary through the usage aggregator (the demo flushes every 2 s).
  const today = page.getByTestId(`day-${day(0)}`);
  await expect
    .poll(
      async () => {
        await page.reload();
        return today.locator('td').allTextContents();
      },
      { timeout: 30_000, interval: 1000 },
    )
    .toEqual([day(0), '1', '1', '$0.003']);
  await page.screenshot({ path: screenshotPath('admin-revenue-chart'), fullPage: true });

  // The rules editor on a 390 px phone: one card per rule, nothing wider than the screen.
  const phone = await harness.browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const phoneProblems = watchCsp(phone);
  await phone.context().addCookies(await page.context().cookies());
  await phone.goto(`${harness.demo.adminUrl}/__paywall/admin/sites/demo.localhost`);
  await phone.getByRole('heading', { name: 'Price rules of demo.localhost' }).waitFor();
  expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  const table = (await phone.locator('table.rules:not(.crawler-rules)').boundingBox())!;
  expect(table.x + table.width).toBeLessThanOrEqual(390);
  const pattern = (await phone.getByLabel('Pattern of rule 1').boundingBox())!;
  expect(pattern.width).toBeGreaterThan(250);
  await phone.getByLabel('Price of rule 2', { exact: true }).fill('0.02');
  await phone.getByRole('button', { name: 'Save rules' }).tap();
  await phone.getByTestId('saved').waitFor();
  await phone.screenshot({ path: screenshotPath('admin-site-editor-phone'), fullPage: true });
  expect(phoneProblems).toEqual([]);

  expect(problems).toEqual([]);
  // Three `wrangler kv` processes and a demo flush cycle: minutes on a loaded machine.
}, 300_000);
