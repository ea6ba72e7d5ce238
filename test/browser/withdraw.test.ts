import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STANDIN_SECRET_KEY, startStripeStandin } from '../support/stripe-standin';
import { launchChromium, screenshotPath, startDemo, type Demo } from './support/demo';

/**
 * Issue 16's last walk-through: a reader tops up by card and withdraws the unspent money
 * back to it. Stripe is the local stand-in (no network): Checkout's page is answered by the
 * test, and Stripe's webhook is signed here with the demo's secret, as Stripe signs it.
 */
let demo: Demo;
let browser: Browser;
let stripe: Server;
let stripeBase: string;

beforeAll(async () => {
  stripe = await startStripeStandin();
  stripeBase = `http://127.0.0.1:${(stripe.address() as AddressInfo).port}`;
  [demo, browser] = await Promise.all([
    startDemo({ STRIPE_SECRET_KEY: STANDIN_SECRET_KEY, STRIPE_API_BASE: stripeBase }),
    launchChromium(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await demo?.stop();
  await new Promise((r) => stripe?.close(r));
});

/** What Stripe sends when Checkout is paid, signed with the demo's webhook secret. */
async function stripePays(sessionId: string, paymentIntent: string): Promise<void> {
  const seen = (await (await fetch(`${stripeBase}/__standin/sessions/${sessionId}`)).json()) as { params: Record<string, string> };
  const cents = Number(seen.params['line_items[0][price_data][unit_amount]']);
  await fetch(`${stripeBase}/__standin/charges`, {
    method: 'POST',
    body: JSON.stringify({ payment_intent: paymentIntent, amount: cents }),
  });
  const payload = JSON.stringify({
    id: `evt_${sessionId}`,
    object: 'event',
    type: 'checkout.session.completed',
    created: Math.floor(Date.now() / 1000),
    data: {
      object: {
        id: sessionId,
        object: 'checkout.session',
        mode: 'payment',
        currency: 'usd',
        payment_status: 'paid',
        status: 'complete',
        amount_total: cents,
        client_reference_id: seen.params.client_reference_id,
        payment_intent: paymentIntent,
        metadata: {},
      },
    },
  });
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', 'whsec_demo').update(`${t}.${payload}`).digest('hex');
  const res = await fetch(`${demo.baseUrl}/__paywall/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${v1}` },
    body: payload,
  });
  expect(res.status).toBe(200);
}

const watchCsp = (page: Page) => {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  return violations;
};

it('a reader tops up $5 by card, reads, and withdraws the unspent money back to the card', async () => {
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  const page = await context.newPage();
  const csp = watchCsp(page);
  // Stripe Checkout itself is Stripe's page, not ours: answered here so nothing leaves the machine.
  let checkoutUrl = '';
  await page.route('https://checkout.stripe.com/**', (route) => {
    checkoutUrl = route.request().url();
    return route.fulfill({
      contentType: 'text/html',
      body: '<!doctype html><title>Stripe Checkout</title><h1>Stripe Checkout (stand-in)</h1>',
    });
  });

  await page.goto(`${demo.walletUrl}/__paywall/account`);
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Create a wallet' }).click()]);
  await page
    .getByRole('group', { name: /With a card/ })
    .getByRole('button', { name: 'Add $5.00' })
    .click();
  await page.waitForURL(/checkout\.stripe\.com/);
  const sessionId = /\/c\/pay\/([\w-]+)/.exec(checkoutUrl)![1]!;
  const seen = (await (await fetch(`${stripeBase}/__standin/sessions/${sessionId}`)).json()) as { params: Record<string, string> };

  // Paid: Stripe tells the worker, then sends the reader back.
  await stripePays(sessionId, `pi_${sessionId}`);
  await page.goto(seen.params.success_url!);
  await expect
    .poll(async () => {
      await page.reload();
      return page.getByTestId('balance').first().textContent();
    })
    .toBe('$5.00');
  expect(await page.getByTestId('withdrawable').textContent()).toContain('Up to $5.00 can be refunded');

  // Some of it is spent on an article.
  await page.goto(`${demo.walletUrl}/__paywall/connect?site=demo.localhost&return=%2Farticles%2Fedge-ledgers`);
  await Promise.all([
    page.waitForURL(`${demo.demoUrl}/articles/edge-ledgers`),
    page.getByRole('button', { name: 'Allow and continue' }).click(),
  ]);
  expect(await page.getByTestId('article-title').textContent()).toBe('Ledgers at the edge');

  // What is left goes back to the card, in one click: whole cents, as a card refund is.
  await page.goto(`${demo.walletUrl}/__paywall/account#withdraw`);
  expect(await page.getByTestId('withdrawable').textContent()).toContain('Up to $4.99 can be refunded');
  await page.screenshot({ path: screenshotPath('withdraw-offered'), fullPage: false });
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Refund to my card' }).click()]);
  expect(await page.getByTestId('notice').textContent()).toContain('Refunded to your card');
  expect(await page.getByTestId('balance').first().textContent()).toBe('$0.008');
  expect(await page.getByTestId('withdrawable').textContent()).toContain('Nothing to withdraw');
  await page.screenshot({ path: screenshotPath('withdraw-done'), fullPage: false });

  // Stripe holds one refund for that payment, of what was unspent.
  const refunds = (await (
    await fetch(`${stripeBase}/v1/refunds?payment_intent=pi_${sessionId}`, { headers: { authorization: `Bearer ${STANDIN_SECRET_KEY}` } })
  ).json()) as { data: { amount: number }[] };
  expect(refunds.data.map((r) => r.amount)).toEqual([499]);
  expect(csp).toEqual([]);
  await context.close();
});
