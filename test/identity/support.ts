import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { call, json, putSite, siteDoc, STANDARD_RULES } from '../support/paywall';

export const WALLET = 'wallet.test';
export const NEWS = 'news.test';
export const OTHER = 'other.test';
export const SESSION = '__Host-paywall_session';

/** A form post as the wallet host's own page sends it. */
export function walletForm(path: string, fields: Record<string, string>, cookie: string | null, host = WALLET) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', origin: `http://${host}` };
  if (cookie) headers.cookie = cookie;
  return call(path, { method: 'POST', headers, body: new URLSearchParams(fields).toString(), redirect: 'manual' }, host);
}

export function get(path: string, host: string, cookie: string | null = null, headers: Record<string, string> = {}) {
  return call(path, { headers: { accept: 'text/html', ...(cookie ? { cookie } : {}), ...headers }, redirect: 'manual' }, host);
}

export function cookieFrom(res: Response, name: string): string {
  const line = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  expect(line, `${name} cookie`).toBeDefined();
  return line!.split(';')[0]!;
}

export async function twoPublishers(): Promise<void> {
  expect((await putSite(siteDoc(STANDARD_RULES, NEWS), NEWS)).status).toBe(200);
  expect((await putSite(siteDoc(STANDARD_RULES, OTHER, env.TEST_ORIGIN), OTHER)).status).toBe(200);
}

/** A new wallet made on the wallet host: its session cookie (`name=value`) and reader id. */
export async function newWallet(topUpMicros = 0): Promise<{ session: string; readerId: string }> {
  const created = await walletForm('/__paywall/account/create', {}, null);
  expect(created.status).toBe(303);
  const session = cookieFrom(created, SESSION);
  const me = await call('/__paywall/api/me', { headers: { cookie: session } }, WALLET);
  expect(me.status).toBe(200);
  const { readerId } = await me.json<{ readerId: string }>();
  if (topUpMicros > 0) {
    const res = await call(
      '/__paywall/api/dev/topup',
      json({ amountMicros: topUpMicros }, { cookie: session, origin: `http://${WALLET}` }),
      WALLET,
    );
    expect(res.status).toBe(200);
  }
  return { session, readerId };
}

/**
 * The whole round trip for a signed-in reader: the connect step on the wallet host
 * (consent when `consent`), its redirect with a code, and the publisher's callback.
 * Returns the publisher cookie (`paywall_token=p1…`).
 */
export async function connect(session: string, site: string, back = '/articles/hello', consent = true): Promise<string> {
  const step = `/__paywall/connect?${new URLSearchParams({ site, return: back })}`;
  let redirect: Response;
  if (consent) {
    const page = await get(step, WALLET, session);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`Allow ${site} to charge your wallet?`);
    redirect = await walletForm('/__paywall/connect', { site, return: back, decision: 'allow' }, session);
  } else {
    redirect = await get(step, WALLET, session);
  }
  expect(redirect.status).toBe(303);
  const to = new URL(redirect.headers.get('location')!);
  expect(to.host).toBe(site);
  expect(to.pathname).toBe('/__paywall/connect/callback');
  const callback = await get(to.pathname + to.search, site);
  expect(callback.status).toBe(303);
  expect(callback.headers.get('location')).toBe(back);
  return cookieFrom(callback, 'paywall_token');
}

/** The code a connect step hands to the publisher, without redeeming it. */
export async function codeFor(session: string, site: string, back = '/articles/hello'): Promise<{ code: string; url: URL }> {
  const redirect = await walletForm('/__paywall/connect', { site, return: back, decision: 'allow' }, session);
  expect(redirect.status).toBe(303);
  const url = new URL(redirect.headers.get('location')!);
  return { code: url.searchParams.get('code')!, url };
}
