import { env, exports } from 'cloudflare:workers';
import { expect } from 'vitest';

export const HOST = 'news.test';
/** The one host that serves the admin console and API (`ADMIN_HOST` in vitest.config.ts). */
export const ADMIN_HOST = 'admin.test';
export const ADMIN = { authorization: 'Bearer test-admin-token' };
/**
 * The readers' wallet host (`WALLET_HOST` in vitest.config.ts): signing in, the account
 * page and every change to a reader's settings or money happen there.
 */
export const WALLET_HOST = 'wallet.test';

/** A request to the Worker under test, as it would arrive for `host`. */
export function call(path: string, init: RequestInit = {}, host = HOST): Promise<Response> {
  return exports.default.fetch(new Request(`http://${host}${path}`, init));
}

/** A call to the admin API or console, on the admin host where they are served. */
export function adminCall(path: string, init: RequestInit = {}): Promise<Response> {
  return call(path, init, ADMIN_HOST);
}

/** A request to the wallet host, where the account pages and their forms are served. */
export function walletCall(path: string, init: RequestInit = {}): Promise<Response> {
  return call(path, init, WALLET_HOST);
}

/**
 * The wallet host's cookie carrying a reader's token, as a browser signed in there sends
 * it. It may hold a session (`s1.…`) or, as tests use it, a reader token (full power).
 */
export function walletCookie(reader: { token: string }): { cookie: string } {
  return { cookie: `__Host-paywall_session=${reader.token}` };
}

/**
 * Connects a reader's wallet to a publisher host as a browser does (the consent posted on
 * the wallet host, then the publisher's callback) and returns the cookie the publisher
 * host set: a spend token, which can view and pay there but change nothing. The site
 * must exist (see useStandardSite).
 */
export async function connectWallet(reader: { token: string }, host = HOST, returnPath = '/'): Promise<string> {
  const allowed = await walletCall('/__paywall/connect', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: `http://${WALLET_HOST}`, ...walletCookie(reader) },
    body: new URLSearchParams({ site: host, return: returnPath, decision: 'allow' }),
    redirect: 'manual',
  });
  expect(allowed.status).toBe(303);
  const callback = new URL(allowed.headers.get('location')!);
  expect(callback.origin + callback.pathname).toBe(`http://${host}/__paywall/connect/callback`);
  const back = await call(callback.pathname + callback.search, { redirect: 'manual' }, host);
  expect(back.status).toBe(303);
  expect(back.headers.get('location')).toBe(returnPath);
  const token = /^paywall_token=(p1\.[^;]+)/.exec(back.headers.get('set-cookie') ?? '')?.[1];
  expect(token).toBeDefined();
  return `paywall_token=${token}`;
}

export const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export function siteDoc(rules: unknown[], host = HOST, origin = env.TEST_ORIGIN) {
  return { host, origin, rules };
}

export const STANDARD_RULES = [
  { pattern: '/articles/:slug', priceMicros: 2500, reviewWindowSeconds: 3600 },
  { pattern: '/premium/*', priceMicros: 10000 },
  { pattern: '/status/:code/paid', priceMicros: 1000 },
  { pattern: '/slow/paid', priceMicros: 1000 },
  { pattern: '/reset/paid', priceMicros: 1000 },
  { pattern: '/broken-body/paid', priceMicros: 1000 },
  { pattern: '/*', priceMicros: 0 },
];

export async function putSite(doc: unknown, host = HOST): Promise<Response> {
  return adminCall(`/__paywall/api/admin/sites/${host}`, { ...json(doc, ADMIN), method: 'PUT' });
}

export async function useStandardSite(): Promise<void> {
  const res = await putSite(siteDoc(STANDARD_RULES));
  expect(res.status).toBe(200);
}

export type Reader = { readerId: string; token: string; auth: { authorization: string } };

export async function newReader(topUpMicros = 0): Promise<Reader> {
  const res = await call('/__paywall/api/readers', { method: 'POST' });
  expect(res.status).toBe(201);
  const { readerId, token } = await res.json<{ readerId: string; token: string }>();
  const reader = { readerId, token, auth: { authorization: `Bearer ${token}` } };
  if (topUpMicros > 0) await topUp(reader, topUpMicros);
  return reader;
}

export async function topUp(reader: Reader, amountMicros: number): Promise<number> {
  const res = await call('/__paywall/api/dev/topup', json({ amountMicros }, reader.auth));
  expect(res.status).toBe(200);
  return (await res.json<{ balanceMicros: number }>()).balanceMicros;
}

export async function balanceOf(reader: Reader): Promise<number> {
  const res = await call('/__paywall/api/me', { headers: reader.auth });
  expect(res.status).toBe(200);
  return (await res.json<{ balanceMicros: number }>()).balanceMicros;
}

export type Entry = { id: string; type: string; amountMicros: number; balanceAfterMicros: number; at: string; path?: string };

export async function ledgerOf(reader: Reader): Promise<Entry[]> {
  const entries: Entry[] = [];
  let before: number | null = null;
  do {
    const res = await call(`/__paywall/api/me/ledger?limit=200${before ? `&before=${before}` : ''}`, { headers: reader.auth });
    expect(res.status).toBe(200);
    const page: { entries: Entry[]; nextBefore: number | null } = await res.json();
    entries.push(...page.entries);
    before = page.nextBefore;
  } while (before !== null);
  return entries;
}

/** A view as an API client makes it, read to the end as a client reads it. */
export async function view(path: string, reader: Reader | null, headers: Record<string, string> = {}, method = 'GET') {
  return readToEnd(await call(path, { method, headers: { accept: 'application/json', ...(reader?.auth ?? {}), ...headers } }));
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * The answer read to the end, as a reader's browser reads it. A paid body given up half-way
 * counts as not delivered and is refunded (src/paywall/deliver.ts), so a test that left
 * bodies unread would see refunds land at random. A body that broke off stays broken for
 * whoever reads it.
 */
export async function readToEnd(res: Response): Promise<Response> {
  if (!res.body) return res;
  let body: ArrayBuffer;
  try {
    body = await res.arrayBuffer();
  } catch (e) {
    return new Response(new ReadableStream({ start: (controller) => controller.error(e) }), res);
  }
  return new Response(NULL_BODY_STATUSES.has(res.status) ? null : body, res);
}

/**
 * What a site's origin should receive as Paywall-Origin-Secret, derived here as a
 * publisher would be told to: HMAC-SHA256(ORIGIN_SECRET, "paywall-origin-secret:v1:<host>"), base64url.
 */
export async function expectedOriginSecret(host = HOST): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(env.ORIGIN_SECRET!), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`paywall-origin-secret:v1:${host}`));
  return Buffer.from(mac).toString('base64url');
}
