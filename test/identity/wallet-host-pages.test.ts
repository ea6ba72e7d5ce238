import { createExecutionContext, reset, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { app } from '../../src/app';
import {
  call,
  connectWallet,
  HOST,
  ledgerOf,
  newReader,
  putSite,
  siteDoc,
  STANDARD_RULES,
  useStandardSite,
  WALLET_HOST,
  walletCall,
  walletCookie,
  type Reader,
} from '../support/paywall';

/**
 * The contract's "Hosts and pages": the wallet host is the readers' home and serves the
 * wallet only; on a publisher host the account pages send the reader there, and a
 * reader's cookie can view and pay but change nothing.
 */

afterEach(() => reset());

const WALLET = `http://${WALLET_HOST}`;
const ACCOUNT = '/__paywall/account';

const capOf = async (reader: Reader) =>
  (await (await call('/__paywall/api/me', { headers: reader.auth })).json<{ dailyCapMicros: number | null }>()).dailyCapMicros;

/** A form post on the publisher host, same-origin, as a page there would send it. */
const publisherForm = (path: string, fields: Record<string, string>, cookie: string) =>
  call(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: `http://${HOST}`, cookie },
    body: new URLSearchParams(fields),
    redirect: 'manual',
  });

describe('the wallet host serves the wallet only', () => {
  it('sends its front page to the account', async () => {
    for (const method of ['GET', 'HEAD']) {
      const res = await walletCall('/', { method, redirect: 'manual' });
      expect(res.status, method).toBe(302);
      expect(res.headers.get('location')).toBe(ACCOUNT);
    }
  });

  it('serves no publisher content: any other path is a 404, even with DEFAULT_SITE set and a site document for its name', async () => {
    await useStandardSite();
    // Whether the admin API should take a site document for the wallet host at all is another question; none is served.
    await (await putSite(siteDoc(STANDARD_RULES, WALLET_HOST), WALLET_HOST)).arrayBuffer();
    const ctx = createExecutionContext();
    const withDefault = { ...env, DEFAULT_SITE: HOST };
    for (const path of ['/articles/hello', '/premium/story', '/free/x', '/robots.txt', '/index.html', '/x?y=1']) {
      for (const method of ['GET', 'HEAD', 'POST']) {
        const res = await app.fetch(new Request(`${WALLET}${path}`, { method, redirect: 'manual' }), withDefault, ctx);
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.headers.get('paywall-price-micros')).toBeNull();
        if (method !== 'HEAD') expect(await res.json()).toMatchObject({ error: 'not_found' });
      }
    }
    await waitOnExecutionContext(ctx);

    // As deployed too: a reader's bearer token buys nothing there, and the front page takes no post.
    const reader = await newReader(100_000);
    const res = await walletCall('/premium/story', { headers: { accept: 'application/json', ...reader.auth } });
    expect(res.status).toBe(404);
    await res.arrayBuffer();
    expect((await ledgerOf(reader)).map((e) => e.type)).toEqual(['topup']);
    const posted = await walletCall('/', { method: 'POST' });
    expect(posted.status).toBe(404);
    await posted.arrayBuffer();
  });
});

describe("a publisher host's account pages", () => {
  it('send the reader to the wallet host, keeping the way back as a connect step', async () => {
    for (const method of ['GET', 'HEAD']) {
      const plain = await call(ACCOUNT, { method, redirect: 'manual' });
      expect(plain.status).toBe(302);
      expect(plain.headers.get('location')).toBe(`${WALLET}${ACCOUNT}`);
    }
    const back = await call(`${ACCOUNT}?return=%2Farticles%2Fhello%3Fpage%3D2&topup=paid`, { redirect: 'manual' });
    expect(back.status).toBe(302);
    expect(back.headers.get('location')).toBe(
      `${WALLET}${ACCOUNT}?return=%2F__paywall%2Fconnect%3Fsite%3Dnews.test%26return%3D%252Farticles%252Fhello%253Fpage%253D2`,
    );
  });

  it("refuse a cap change with the reader's cookie (403 wallet_host_only), and the cap is unchanged", async () => {
    await useStandardSite();
    const reader = await newReader(100_000);
    const settings = await call('/__paywall/api/me/settings', {
      method: 'PUT',
      headers: { ...reader.auth, 'content-type': 'application/json' },
      body: '{"dailyCapMicros":50000}',
    });
    expect(settings.status).toBe(200);
    const spend = await connectWallet(reader, HOST, '/articles/hello');
    // A browser's cookie here: the spend token this host was given, or a full reader token (an older cookie wallet).
    for (const cookie of [spend, `paywall_token=${reader.token}`]) {
      for (const dailyCap of ['', '1000', '0.01']) {
        const res = await publisherForm(`${ACCOUNT}/cap`, { dailyCap }, cookie);
        expect(res.status, `${cookie.slice(0, 16)} ${dailyCap}`).toBe(403);
        expect(await res.json()).toMatchObject({ error: 'wallet_host_only' });
      }
    }
    expect(await capOf(reader)).toBe(50_000);
    // The cookie still pays here.
    const paid = await call('/articles/hello', { headers: { cookie: spend } });
    expect(paid.status).toBe(200);
    await paid.arrayBuffer();
  });

  it('refuse every other account form too: nothing made, credited, withdrawn or disconnected, no cookie set', async () => {
    await useStandardSite();
    const reader = await newReader(100_000);
    const spend = await connectWallet(reader, HOST, '/articles/hello');
    for (const cookie of [spend, `paywall_token=${reader.token}`, '']) {
      for (const [path, fields] of [
        [`${ACCOUNT}/create`, {}],
        [`${ACCOUNT}/dev-topup`, { amount: '5' }],
        [`${ACCOUNT}/topup`, { amount: '5' }],
        [`${ACCOUNT}/withdraw`, { amount: '0.05' }],
        [`${ACCOUNT}/disconnect`, { host: HOST }],
        [`${ACCOUNT}/recovery-code`, {}],
        [`${ACCOUNT}/sign-out-everywhere`, {}],
      ] as const) {
        const res = await publisherForm(path, fields, cookie);
        expect(res.status, `${path} with ${cookie.slice(0, 16) || 'no cookie'}`).toBe(403);
        expect(await res.json()).toMatchObject({ error: 'wallet_host_only' });
        expect(res.headers.get('set-cookie')).toBeNull();
      }
    }
    expect((await ledgerOf(reader)).map((e) => e.type)).toEqual(['topup']);
    // Still connected: the spend cookie pays.
    const paid = await call('/articles/hello', { headers: { cookie: spend } });
    expect(paid.status).toBe(200);
    await paid.arrayBuffer();
  });

  it("the API refuses the publisher host's cookie a change too, while a bearer token may make it on any host", async () => {
    const reader = await newReader();
    const put = (headers: Record<string, string>, host: string) =>
      call(
        '/__paywall/api/me/settings',
        {
          method: 'PUT',
          headers: { 'content-type': 'application/json', origin: `http://${host}`, ...headers },
          body: '{"dailyCapMicros":1000}',
        },
        host,
      );
    const refused = await put({ cookie: `paywall_token=${reader.token}` }, HOST);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'wallet_host_only' });
    expect(await capOf(reader)).toBeNull();
    expect((await put(reader.auth, HOST)).status).toBe(200);
    expect(await capOf(reader)).toBe(1000);
    expect((await put(walletCookie(reader), WALLET_HOST)).status).toBe(200);
  });
});
