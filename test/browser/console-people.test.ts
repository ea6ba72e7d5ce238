import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { DEMO_ADMIN_TOKEN, screenshotPath, useDemoInBrowser } from './support/demo';
import { virtualAuthenticator } from './support/virtual-authenticator';

const harness = useDemoInBrowser();

function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  return problems;
}

it('the operator makes a publisher and invites a person, who signs in with a passkey, edits their own site, cannot see another, and downloads a statement whose totals are the revenue chart\u2019s', async () => {
  const admin = harness.demo.adminUrl;
  const operator = await harness.browser.newPage({ viewport: { width: 1200, height: 900 } });
  const operatorProblems = watchProblems(operator);

  // The operator, by the break-glass token, makes two publishers from the demo's two sites.
  await operator.goto(`${admin}/__paywall/admin`);
  await operator.screenshot({ path: screenshotPath('console-sign-in'), fullPage: true });
  await operator.getByText('Operator: sign in with the admin token').click();
  await operator.getByLabel('Admin token').fill(DEMO_ADMIN_TOKEN);
  await operator.getByRole('button', { name: 'Sign in with the token' }).click();
  await operator.getByRole('heading', { name: 'Sites', exact: true }).waitFor();
  await operator.getByRole('link', { name: 'Publishers' }).click();
  for (const [name, host] of [
    ['Newsroom Ltd', 'news.localhost'],
    ['Demo Press', 'demo.localhost'],
  ]) {
    await operator.getByLabel('Name').fill(name!);
    await operator.getByLabel('Hosts, one a line').fill(host!);
    await operator.getByRole('button', { name: 'Create publisher' }).click();
    await operator.getByRole('heading', { name: `${name} is created` }).waitFor();
    expect(await operator.getByTestId('api-key').textContent()).toMatch(/pk_[A-Za-z0-9_-]{43}/);
    if (name === 'Demo Press') await operator.screenshot({ path: screenshotPath('console-publisher-created'), fullPage: true });
    if (name !== 'Demo Press') await operator.goto(`${admin}/__paywall/admin/publishers`);
  }
  await operator.getByRole('link', { name: 'Invite its people' }).click();
  await operator.getByLabel('Their name').fill('Ada Lovelace');
  await operator.getByLabel('Role').selectOption('owner');
  await operator.getByRole('button', { name: 'Make an invite link' }).click();
  const link = (await operator.getByTestId('invite-link').textContent())!.trim();
  expect(link).toMatch(/^http:\/\/admin\.localhost:\d+\/__paywall\/admin\/join\/inv_/);
  await operator.screenshot({ path: screenshotPath('console-invite-link'), fullPage: true });

  // Ada, in her own browser, opens the link and makes a passkey: she is signed in.
  const ada = await (await harness.browser.newContext({ viewport: { width: 1024, height: 800 } })).newPage();
  const adaProblems = watchProblems(ada);
  const authenticator = await virtualAuthenticator(ada);
  await ada.goto(link);
  await ada.getByRole('heading', { name: 'Join Demo Press' }).waitFor();
  await ada.screenshot({ path: screenshotPath('console-join'), fullPage: true });
  await ada.getByRole('button', { name: 'Make my passkey and join' }).click();
  await ada.getByRole('heading', { name: 'Sites of Demo Press' }).waitFor();
  expect(await ada.getByRole('status').textContent()).toContain('Welcome, Ada Lovelace');
  const { credentials } = await authenticator.cdp.send('WebAuthn.getCredentials', { authenticatorId: authenticator.authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0]!.rpId).toBe('admin.localhost');
  await ada.screenshot({ path: screenshotPath('console-person-sites'), fullPage: true });

  // The link is used up.
  const used = await ada.goto(link);
  expect(used!.status()).toBe(404);

  // Every cookie cleared: she comes back with the passkey alone.
  await ada.context().clearCookies();
  await ada.goto(`${admin}/__paywall/admin`);
  await ada.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await ada.getByRole('heading', { name: 'Sites of Demo Press' }).waitFor();
  expect(await ada.getByTestId('signed-in-as').textContent()).toBe('Ada Lovelace');

  // She edits her own site's rules.
  await ada.getByRole('link', { name: 'Edit rules of demo.localhost' }).click();
  await ada.getByRole('heading', { name: 'Price rules of demo.localhost' }).waitFor();
  await ada.getByLabel('Price of rule 1', { exact: true }).fill('0.004');
  await ada.getByRole('button', { name: 'Save rules' }).click();
  await ada.getByTestId('saved').waitFor();

  // The other publisher's site is not there for her, by link or by typing its name.
  expect(await ada.locator('body').textContent()).not.toContain('news.localhost');
  const other = await ada.goto(`${admin}/__paywall/admin/sites/news.localhost`);
  expect(other!.status()).toBe(404);
  expect(await ada.getByRole('alert').textContent()).toContain('news.localhost is not one of your sites');
  await ada.screenshot({ path: screenshotPath('console-person-other-site'), fullPage: true });
  expect((await ada.goto(`${admin}/__paywall/admin/publishers`))!.url()).toMatch(/\/publishers\/pub_/);
  expect(await ada.locator('body').textContent()).not.toContain('Newsroom Ltd');
  await ada.screenshot({ path: screenshotPath('console-person-publisher'), fullPage: true });

  // The operator's audit log says who did it.
  await operator.goto(`${admin}/__paywall/admin/audit`);
  await expect.poll(() => operator.getByTestId('audit').textContent()).toContain('Ada Lovelace of Demo Press (owner), console');

  // On a phone, the join page and her publisher page fit the screen.
  const phone = await (
    await harness.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
  ).newPage();
  await phone.context().addCookies(await ada.context().cookies());
  await phone.goto(`${admin}/__paywall/admin/publishers`);
  expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await phone.screenshot({ path: screenshotPath('console-person-publisher-phone'), fullPage: true });

  // A reader pays for an article on Ada's site (at the price she just set), and views another page.
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
  const paid = await fetch(`${harness.demo.baseUrl}/articles/prepaid-reading`, { headers: { authorization: auth.authorization } });
  expect(paid.status).toBe(200);
  expect(paid.headers.get('paywall-charged-micros')).toBe('4000');
  await paid.text();

  // The revenue chart for this month, once the view has reached the usage summary (the demo flushes every 2 s).
  const month = new Date().toISOString().slice(0, 7);
  const [y, m] = month.split('-').map(Number) as [number, number];
  const lastDay = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
  await ada.goto(`${admin}/__paywall/admin/sites/demo.localhost/revenue?from=${month}-01&to=${lastDay}`);
  await expect
    .poll(
      async () => {
        await ada.reload();
        return ada.getByTestId('total-paid-views').textContent();
      },
      { timeout: 30_000, interval: 1000 },
    )
    .not.toBe('0');
  const micros = (usd: string) => Math.round(Number(usd.replace(/[$,]/g, '')) * 1_000_000);
  const chart = {
    views: Number((await ada.getByTestId('total-views').textContent())!.replace(/,/g, '')),
    paidViews: Number((await ada.getByTestId('total-paid-views').textContent())!.replace(/,/g, '')),
    revenueMicros: micros((await ada.getByTestId('total-revenue').textContent())!),
  };
  expect(chart.paidViews).toBe(1);
  expect(chart.revenueMicros).toBe(4000);
  await ada.screenshot({ path: screenshotPath('console-person-revenue-month'), fullPage: true });

  // She downloads this month's statement from her publisher's page: its totals are the chart's.
  await ada.goto(`${admin}/__paywall/admin/publishers`);
  const [download] = await Promise.all([ada.waitForEvent('download'), ada.getByRole('link', { name: `Statement ${month} (CSV)` }).click()]);
  expect(download.suggestedFilename()).toMatch(new RegExp(`^statement-pub_[A-Za-z0-9_-]{16}-${month}\\.csv$`));
  const csv = readFileSync((await download.path())!, 'utf8');
  const rows = csv
    .trim()
    .split(/\r\n/)
    .map((line) => line.split(','));
  const header = rows[0]!;
  const total = Object.fromEntries(header.map((name, i) => [name, rows.find((r) => r[0] === 'total')![i]!]));
  expect(rows.map((r) => r[0])).toEqual(['host', 'demo.localhost', 'total']);
  expect(Number(total.views)).toBe(chart.views);
  expect(Number(total.paid_views)).toBe(chart.paidViews);
  expect(Number(total.revenue_micros)).toBe(chart.revenueMicros);
  expect(Number(total.gross_revenue_micros)).toBe(chart.revenueMicros); // no view was refunded
  expect(Number(total.platform_fee_micros) + Number(total.net_owed_micros)).toBe(chart.revenueMicros);
  expect(Number(total.platform_fee_micros)).toBe(400); // the demo's fee is 10 %

  expect(operatorProblems).toEqual([]);
  expect(adaProblems).toEqual([]);
}, 180_000);
