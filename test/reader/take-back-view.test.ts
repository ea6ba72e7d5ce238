import { reset, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { CONSOLE, page, signIn } from '../support/admin-console';
import {
  ADMIN,
  adminCall,
  balanceOf,
  call,
  HOST,
  json,
  ledgerOf,
  newReader,
  useStandardSite,
  view,
  WALLET_HOST,
  walletCall,
  walletCookie,
  type Reader,
} from '../support/paywall';
import { flushAll, today } from '../support/usage';

afterEach(() => reset());

const takeBack = (reader: Reader, receipt: string, reason: unknown = 'mistake') =>
  call(`/__paywall/api/me/ledger/${receipt}/take-back`, json({ reason }, reader.auth));

async function paidView(reader: Reader, path: string): Promise<string> {
  const res = await view(path, reader);
  expect(res.status).toBe(200);
  return res.headers.get('paywall-receipt')!;
}

/** Moves a charge into the past, as if the reader had paid `ms` ago. */
async function age(reader: Reader, receipt: string, ms: number) {
  await runInDurableObject(env.WALLET.get(env.WALLET.idFromName(reader.readerId)), (_o, state) => {
    state.storage.sql.exec('UPDATE ledger SET at = at - ? WHERE id = ?', ms, receipt);
  });
}

const usageToday = async () =>
  (await adminCall(`/__paywall/api/admin/usage/${HOST}?from=${today()}&to=${today()}`, { headers: ADMIN })).json<{
    totals: { views: number; paidViews: number; revenueMicros: number };
  }>();

describe('taking back a view', () => {
  it('refunds it in one call with a reason, once, and it leaves the usage like any refund', async () => {
    await useStandardSite();
    const reader = await newReader(100_000);
    const receipt = await paidView(reader, '/premium/story');
    await paidView(reader, '/premium/kept');
    expect(await balanceOf(reader)).toBe(80_000);

    const res = await takeBack(reader, receipt, 'not_as_described');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ balanceMicros: 90_000, duplicate: false });
    expect(await (await takeBack(reader, receipt)).json()).toMatchObject({ balanceMicros: 90_000, duplicate: true });
    const [refund] = await ledgerOf(reader);
    expect(refund).toMatchObject({ type: 'refund', amountMicros: 10_000, path: '/premium/story' });

    await flushAll([reader]);
    expect((await usageToday()).totals).toMatchObject({ paidViews: 1, revenueMicros: 10_000 });
  });

  it('only within 10 minutes of the charge', async () => {
    await useStandardSite();
    const reader = await newReader(100_000);
    const fresh = await paidView(reader, '/premium/a');
    const old = await paidView(reader, '/premium/b');
    await age(reader, fresh, 9 * 60_000);
    await age(reader, old, 10 * 60_000 + 1000);
    expect((await takeBack(reader, fresh)).status).toBe(200);
    const late = await takeBack(reader, old);
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ error: 'too_late' });
    expect(await balanceOf(reader)).toBe(90_000);
  });

  it('at most max(3, 5% of the month’s paid views) a month', async () => {
    await useStandardSite();
    const reader = await newReader(2_000_000);
    const receipts: string[] = [];
    for (let i = 0; i < 5; i++) receipts.push(await paidView(reader, `/premium/${i}`));
    for (const r of receipts.slice(0, 3)) expect((await takeBack(reader, r)).status).toBe(200);
    const refused = await takeBack(reader, receipts[3]!);
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ error: 'limit_reached' });
    expect(await (await call('/__paywall/api/me/take-backs', { headers: reader.auth })).json()).toMatchObject({
      used: 3,
      allowed: 3,
      left: 0,
    });

    // 80 paid views this month: 5% is 4, so one more is allowed.
    for (let i = 5; i < 80; i++) await paidView(reader, `/premium/${i}`);
    expect((await takeBack(reader, receipts[3]!)).status).toBe(200);
    expect((await takeBack(reader, receipts[4]!)).status).toBe(409);
  });

  it('refuses an unknown reason naming the field, another reader’s receipt, and no token; nothing changes', async () => {
    await useStandardSite();
    const [reader, other] = [await newReader(100_000), await newReader(100_000)];
    const receipt = await paidView(reader, '/premium/a');
    for (const reason of ['because', '', 3, null]) {
      const res = await takeBack(reader, receipt, reason);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ field: 'reason' });
    }
    expect((await takeBack(other, receipt)).status).toBe(404);
    expect((await takeBack(reader, 'nonsense')).status).toBe(404);
    expect((await call(`/__paywall/api/me/ledger/${receipt}/take-back`, json({ reason: 'mistake' }))).status).toBe(401);
    expect(await balanceOf(reader)).toBe(90_000);
    expect(await balanceOf(other)).toBe(100_000);
  });
});

describe('pages', () => {
  const WALLET = `http://${WALLET_HOST}`;
  const form = (reader: Reader, path: string, fields: Record<string, string>) =>
    walletCall(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: WALLET, ...walletCookie(reader) },
      body: new URLSearchParams(fields),
      redirect: 'manual',
    });

  it('the history and the receipt on the wallet host offer the take-back while it is open, and the publisher sees counts and reasons per path', async () => {
    await useStandardSite();
    const reader = await newReader(100_000);
    const receipt = await paidView(reader, '/premium/story');
    const account = await (await walletCall('/__paywall/account', { headers: { accept: 'text/html', ...walletCookie(reader) } })).text();
    expect(account).toContain(`action="/__paywall/account/receipts/${receipt}/take-back"`);

    const receiptPage = await (await walletCall(`/__paywall/account/receipts/${receipt}`, { headers: walletCookie(reader) })).text();
    expect(receiptPage).toContain('$0.01 paid');
    expect(receiptPage).toContain('Why take it back?');

    const bad = await form(reader, `/__paywall/account/receipts/${receipt}/take-back`, { reason: 'whatever' });
    expect(bad.status).toBe(400);
    const res = await form(reader, `/__paywall/account/receipts/${receipt}/take-back`, { reason: 'broken' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/__paywall/account?notice=taken-back');
    expect(await balanceOf(reader)).toBe(100_000);
    const after = await (await walletCall(`/__paywall/account/receipts/${receipt}`, { headers: walletCookie(reader) })).text();
    expect(after).toContain('You took this view back');
    const history = await (await walletCall('/__paywall/account', { headers: { accept: 'text/html', ...walletCookie(reader) } })).text();
    expect(history).not.toContain(`receipts/${receipt}/take-back`);

    const stats = await (await adminCall(`/__paywall/api/admin/take-backs/${HOST}`, { headers: ADMIN })).json<{ paths: unknown[] }>();
    expect(stats.paths).toEqual([{ path: '/premium/story', count: 1, amountMicros: 10_000, reasons: { broken: 1 } }]);
    const { html } = await page(`${CONSOLE}/sites/${HOST}/take-backs`, await signIn());
    expect(html).toContain('/premium/story');
    expect(html).toContain('The page did not work: 1');
  });

  it('on a publisher host, the receipt sends the reader to the wallet, and a take-back posted there with the cookie is refused; nothing is taken back', async () => {
    await useStandardSite();
    const reader = await newReader(100_000);
    const receipt = await paidView(reader, '/premium/story');
    const cookie = { cookie: `paywall_token=${reader.token}` };

    const shown = await call(`/__paywall/account/receipts/${receipt}`, { headers: { accept: 'text/html', ...cookie }, redirect: 'manual' });
    expect(shown.status).toBe(302);
    expect(shown.headers.get('location')).toBe(`${WALLET}/__paywall/account/receipts/${receipt}`);

    const posted = await call(`/__paywall/account/receipts/${receipt}/take-back`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: `http://${HOST}`, ...cookie },
      body: new URLSearchParams({ reason: 'broken' }),
      redirect: 'manual',
    });
    expect(posted.status).toBe(403);
    expect(await posted.json()).toMatchObject({ error: 'wallet_host_only' });
    expect(await balanceOf(reader)).toBe(90_000);
    expect(await (await call('/__paywall/api/me/take-backs', { headers: reader.auth })).json()).toMatchObject({ used: 0 });
  });
});
