import type { BrowserContext, Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { screenshotPath, useDemoInBrowser } from './support/demo';
import { virtualAuthenticator, type VirtualAuthenticator } from './support/virtual-authenticator';

const harness = useDemoInBrowser();

type Credential = {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  privateKey: string;
  userHandle?: string;
  signCount: number;
};

/**
 * Any CSP violation means a page relies on something its own policy blocks; a script
 * error means the passkey buttons did nothing. Both are collected for every page of a context.
 */
function watch(context: BrowserContext): { csp: string[]; errors: string[] } {
  const seen = { csp: [] as string[], errors: [] as string[] };
  const track = (page: Page) => {
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) seen.csp.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => seen.errors.push(`${page.url()}: ${e.message}`));
  };
  context.pages().forEach(track);
  context.on('page', track);
  return seen;
}

async function credentialsOf(a: VirtualAuthenticator): Promise<Credential[]> {
  const { credentials } = await a.cdp.send('WebAuthn.getCredentials', { authenticatorId: a.authenticatorId });
  return credentials as Credential[];
}

const demoTopUp = (page: Page, name: string) => page.getByRole('group', { name: /^Demo top-up/ }).getByRole('button', { name });
const text = (page: Page, testId: string) => page.getByTestId(testId).textContent();
const h1 = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();

/** The focused element, and whether it shows a focus ring. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const style = getComputedStyle(el);
    return { text: el.textContent?.trim() ?? '', outline: `${style.outlineStyle} ${style.outlineWidth}` };
  });

/** Tabs until `name` has the focus (at most `limit` presses), checking that every stop on the way shows the ring. */
async function tabTo(page: Page, name: string, limit = 8): Promise<string[]> {
  const stops: string[] = [];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const now = await focused(page);
    expect(now.outline, `focus ring on "${now.text}"`).toBe('solid 3px');
    stops.push(now.text);
    if (now.text === name) return stops;
  }
  throw new Error(`Tab never reached "${name}": ${stops.join(' → ')}`);
}

/** The history table fits its card: no column (the amount, the running balance) hidden behind a sideways scroll. */
async function historyFits(page: Page) {
  const wrap = page.locator('.table-wrap');
  const [scroll, client] = await wrap.evaluate((el) => [el.scrollWidth, el.clientWidth]);
  expect(scroll, 'history table wider than its card').toBeLessThanOrEqual(client);
}

async function fitsPhone(page: Page, name: string) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width, `${name} is wider than the phone`).toBeLessThanOrEqual(390);
  await page.screenshot({ path: screenshotPath(name), fullPage: true });
}

it('one wallet, made on one publisher, pays on two, survives lost cookies and follows the reader to a second device', async () => {
  const { demoUrl, newsUrl, walletUrl } = harness.demo;
  const article = `${demoUrl}/articles/edge-ledgers`;
  const connectDemo = `${walletUrl}/__paywall/connect?site=demo.localhost&return=%2Farticles%2Fedge-ledgers`;

  // ── The first device: a laptop. ──────────────────────────────────────────────
  const laptop = await harness.browser.newContext({ viewport: { width: 1024, height: 800 } });
  const laptopSeen = watch(laptop);
  const page = await laptop.newPage();
  const authenticator = await virtualAuthenticator(page, { synced: true });

  // A priced article with no cookie: the paywall, with the price and the way to a wallet.
  await page.goto(`${demoUrl}/`);
  await page.getByRole('link', { name: 'Ledgers at the edge' }).click();
  await page.waitForLoadState();
  expect(page.url()).toBe(article);
  expect(await h1(page)).toBe('This article is part of the paywall');
  expect(await text(page, 'price')).toBe('$0.002');
  // The stylesheet applied: the primary action is the paywall's blue, not the browser's grey.
  expect(await page.getByTestId('continue-with-wallet').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(29, 78, 216)');
  await page.screenshot({ path: screenshotPath('wallet-paywall'), fullPage: true });

  // Keyboard alone, from the paywall to a new wallet: every stop shows the focus ring.
  expect(await tabTo(page, 'Continue with your wallet')).toEqual(['← Back to the site', 'Continue with your wallet']);
  await Promise.all([page.waitForURL(connectDemo), page.keyboard.press('Enter')]);
  expect(await h1(page)).toBe('Continue to demo.localhost with your wallet');
  await page.screenshot({ path: screenshotPath('wallet-sign-in'), fullPage: true });
  // First the way back to the article, for a reader who changes their mind.
  expect(await tabTo(page, 'Create a wallet')).toEqual([
    '← Back to demo.localhost',
    'Sign in with a passkey',
    'Use a recovery code instead',
    'Create a wallet',
  ]);
  // The sign-in page is served at the connect step's own address: the wallet is made, and the same address answers with the consent.
  await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
  expect(page.url()).toBe(connectDemo);

  // Signed in on the wallet host only, with a host-only cookie.
  const cookies = await laptop.cookies();
  expect(cookies.map((c) => `${c.name}@${c.domain}`)).toEqual(['__Host-paywall_session@wallet.localhost']);

  // The consent, with the offer of a passkey before any money goes in.
  expect(await h1(page)).toBe('Allow demo.localhost to charge your wallet?');
  expect(await text(page, 'balance')).toBe('$0.00');
  expect(await page.getByTestId('protect-balance').isVisible()).toBe(true);
  await page.screenshot({ path: screenshotPath('wallet-consent'), fullPage: true });

  // Still by keyboard: the passkey (the virtual authenticator says yes), then the consent.
  await tabTo(page, 'Add a passkey');
  await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
  expect(page.url()).toBe(connectDemo);
  expect(await page.getByTestId('protect-balance').count()).toBe(0);
  const [credential] = await credentialsOf(authenticator);
  expect(credential).toMatchObject({ rpId: 'wallet.localhost', isResidentCredential: true });
  // Focus starts again from the top of the reloaded page.
  expect(await tabTo(page, 'Allow and continue')).toEqual(['← Back to demo.localhost', 'Allow and continue']);
  await Promise.all([page.waitForURL(article), page.keyboard.press('Enter')]);

  // Connected, but the wallet is empty: the paywall again, now pointing at the top-up.
  expect(await h1(page)).toBe('Your balance does not cover this article');
  expect(await text(page, 'balance')).toBe('$0.00');
  expect((await laptop.cookies(demoUrl)).map((c) => c.name)).toContain('paywall_token');
  const topUp = page.getByRole('link', { name: 'Top up your wallet' });
  await page.screenshot({ path: screenshotPath('wallet-paywall-empty'), fullPage: true });
  await Promise.all([page.waitForURL(/wallet\.localhost:\d+\/__paywall\/account\?return=.*#top-up$/), topUp.click()]);

  // The wallet remembers the article: it costs $0.002 and the balance does not cover it yet.
  expect(await h1(page)).toBe('Your wallet');
  const continueBox = page.getByRole('region', { name: 'Continue reading' });
  expect(await continueBox.textContent()).toContain('demo.localhost/articles/edge-ledgers costs $0.002');
  expect(await page.getByTestId('pay-and-read').count()).toBe(0);

  // The demo top-up, then one click to pay and read.
  await demoTopUp(page, 'Add $1.00').click();
  await page.waitForLoadState();
  expect(await text(page, 'balance')).toBe('$1.00');
  expect(await text(page, 'notice')).toContain('Demo top-up added');
  await page.screenshot({ path: screenshotPath('wallet-topped-up'), fullPage: true });
  await Promise.all([page.waitForURL(article), page.getByRole('link', { name: 'Pay $0.002 and read' }).click()]);
  expect(await text(page, 'article-title')).toBe('Ledgers at the edge');
  await page.screenshot({ path: screenshotPath('article'), fullPage: true });
  // Reading it again inside the re-view window is free (checked on the history below).
  await page.reload();
  expect(await text(page, 'article-title')).toBe('Ledgers at the edge');

  // The second publisher, its own origin: one consent, then the same balance pays.
  await page.goto(`${newsUrl}/stories/night-trains`);
  expect(await h1(page)).toBe('This article is part of the paywall');
  expect(await text(page, 'price')).toBe('$0.003');
  await Promise.all([page.waitForURL(/wallet\.localhost.*site=news\.localhost/), page.getByTestId('continue-with-wallet').click()]);
  expect(await h1(page)).toBe('Allow news.localhost to charge your wallet?');
  expect(await text(page, 'balance')).toBe('$0.998');
  // The wallet has a passkey now, so the consent asks for nothing more.
  expect(await page.getByTestId('protect-balance').count()).toBe(0);
  await Promise.all([page.waitForURL(`${newsUrl}/stories/night-trains`), page.getByRole('button', { name: 'Allow and continue' }).click()]);
  expect(await text(page, 'article-title')).toBe('The night trains are back');

  // The wallet: both charges from the one balance, both sites, the passkey; and a recovery code.
  await page.goto(`${walletUrl}/__paywall/account`);
  expect(await text(page, 'balance')).toBe('$0.995');
  const charges = page.getByTestId('entry-charge');
  expect(await charges.count()).toBe(2);
  expect(await charges.nth(0).textContent()).toContain('news.localhost/stories/night-trains');
  expect(await charges.nth(0).textContent()).toContain('−$0.003');
  expect(await charges.nth(1).textContent()).toContain('demo.localhost/articles/edge-ledgers');
  expect(await charges.nth(1).textContent()).toContain('−$0.002');
  expect(await page.getByTestId('entry-topup').first().textContent()).toContain('+$1.00');
  await historyFits(page);
  expect(await page.getByTestId('site-demo.localhost').count()).toBe(1);
  expect(await page.getByTestId('site-news.localhost').count()).toBe(1);
  expect(await page.getByTestId('passkey').count()).toBe(1);
  expect(await page.getByTestId('passkey').textContent()).toContain('Chrome on Linux or ChromeOS');
  await page.getByRole('button', { name: 'Make a recovery code' }).click();
  await page.waitForLoadState();
  const recoveryCode = (await text(page, 'recovery-code-value'))!;
  expect(recoveryCode.replace(/-/g, '')).toMatch(/^[0-9A-Z]{48}$/);
  await page.screenshot({ path: screenshotPath('wallet-account'), fullPage: true });
  await page.goto(`${walletUrl}/__paywall/account`);
  expect(await page.getByTestId('recovery-code').count()).toBe(0);
  expect(await page.getByRole('button', { name: 'Make a new recovery code' }).count()).toBe(1);

  // Every cookie gone (a cleared browser): the passkey signs the reader back in, balance intact.
  await laptop.clearCookies();
  await page.goto(article);
  expect(await h1(page)).toBe('This article is part of the paywall');
  await Promise.all([page.waitForURL(connectDemo), page.getByTestId('continue-with-wallet').click()]);
  // demo.localhost is still connected: the passkey leads straight back to the article, inside its re-view window.
  await Promise.all([page.waitForURL(article), page.getByRole('button', { name: 'Sign in with a passkey' }).click()]);
  expect(await text(page, 'article-title')).toBe('Ledgers at the edge');
  await page.goto(`${walletUrl}/__paywall/account`);
  expect(await text(page, 'balance')).toBe('$0.995');
  expect(await page.getByTestId('entry-charge').count()).toBe(2);
  expect(await page.getByTestId('passkey').textContent()).not.toContain('last used never');

  expect(laptopSeen).toEqual({ csp: [], errors: [] });

  // ── A second device, a phone: the passkey synced to it (copied between virtual authenticators). ──
  const phone = await harness.browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  const phoneSeen = watch(phone);
  const phonePage = await phone.newPage();
  const phoneAuthenticator = await virtualAuthenticator(phonePage, { synced: true });
  const [synced] = await credentialsOf(authenticator);
  await phoneAuthenticator.cdp.send('WebAuthn.addCredential', { authenticatorId: phoneAuthenticator.authenticatorId, credential: synced! });

  await phonePage.goto(`${newsUrl}/stories/city-budget`);
  expect(await h1(phonePage)).toBe('This article is part of the paywall');
  await fitsPhone(phonePage, 'wallet-paywall-phone');
  await Promise.all([phonePage.waitForURL(/wallet\.localhost.*site=news\.localhost/), phonePage.getByTestId('continue-with-wallet').tap()]);
  expect(await h1(phonePage)).toBe('Continue to news.localhost with your wallet');
  await fitsPhone(phonePage, 'wallet-sign-in-phone');
  await Promise.all([
    phonePage.waitForURL(`${newsUrl}/stories/city-budget`),
    phonePage.getByRole('button', { name: 'Sign in with a passkey' }).tap(),
  ]);
  expect(await text(phonePage, 'article-title')).toBe('What the city budget pays for');
  await phonePage.goto(`${walletUrl}/__paywall/account`);
  expect(await text(phonePage, 'balance')).toBe('$0.992');
  await historyFits(phonePage);
  await fitsPhone(phonePage, 'wallet-account-phone');
  expect(phoneSeen).toEqual({ csp: [], errors: [] });

  // ── A third browser with no passkey at all: the recovery code gets the reader in. ──
  const borrowed = await harness.browser.newContext({ viewport: { width: 1024, height: 800 } });
  const borrowedSeen = watch(borrowed);
  const other = await borrowed.newPage();
  await other.goto(`${demoUrl}/articles/card-fees`);
  await Promise.all([other.waitForURL(/wallet\.localhost/), other.getByTestId('continue-with-wallet').click()]);
  await other.getByText('Use a recovery code instead').click();
  // Typed by hand: lower case, spaces instead of dashes.
  await other.getByLabel('Recovery code').fill(recoveryCode.toLowerCase().replace(/-/g, ' '));
  await other.getByRole('button', { name: 'Use the code' }).click();
  await other.waitForLoadState();
  expect(await text(other, 'notice')).toContain('Signed in with your recovery code');
  const newCode = (await text(other, 'recovery-code-value'))!;
  expect(newCode).toMatch(/^([0-9A-Z]{4}-){11}[0-9A-Z]{4}$/);
  expect(newCode).not.toBe(recoveryCode);
  // A passkey for this device is asked for, though the wallet has one.
  expect(await other.getByRole('heading', { name: 'Add a passkey for this device' }).isVisible()).toBe(true);
  expect(await text(other, 'balance')).toBe('$0.992');
  await other.screenshot({ path: screenshotPath('wallet-recovered'), fullPage: true });
  await Promise.all([other.waitForURL(`${demoUrl}/articles/card-fees`), other.getByRole('link', { name: 'Pay $0.002 and read' }).click()]);
  expect(await text(other, 'article-title')).toBe('The arithmetic of card fees');

  // The code used is spent: signed out, it no longer opens the wallet.
  await other.goto(`${walletUrl}/__paywall/account`);
  expect(await text(other, 'balance')).toBe('$0.99');
  await Promise.all([other.waitForEvent('load'), other.getByRole('button', { name: 'Sign out of this browser' }).click()]);
  await other.getByText('Use a recovery code instead').click();
  await other.getByLabel('Recovery code').fill(recoveryCode);
  await other.getByRole('button', { name: 'Use the code' }).click();
  await other.waitForLoadState();
  expect(await other.getByRole('alert').first().textContent()).toBe('That recovery code does not open a wallet.');
  expect(borrowedSeen).toEqual({ csp: [], errors: [] });

  await Promise.all([laptop.close(), phone.close(), borrowed.close()]);
});
