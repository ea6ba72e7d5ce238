import type { CDPSession, Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { DEMO_ADMIN_TOKEN, screenshotPath, useDemoInBrowser } from './support/demo';

const harness = useDemoInBrowser();

function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  return problems;
}

/** A platform authenticator (Touch ID, Windows Hello…) for this page, through the DevTools protocol. */
async function virtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}

it('the operator makes a publisher and invites a person, who signs in with a passkey, edits their own site and cannot see another', async () => {
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
  for (const [name, host] of [['Newsroom Ltd', 'news.localhost'], ['Demo Press', 'demo.localhost']]) {
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
  const phone = await (await harness.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })).newPage();
  await phone.context().addCookies(await ada.context().cookies());
  await phone.goto(`${admin}/__paywall/admin/publishers`);
  expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await phone.screenshot({ path: screenshotPath('console-person-publisher-phone'), fullPage: true });

  expect(operatorProblems).toEqual([]);
  expect(adaProblems).toEqual([]);
}, 180_000);
