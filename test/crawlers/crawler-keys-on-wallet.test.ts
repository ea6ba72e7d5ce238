import { reset, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimNonce } from '../../src/crawlers/crawler-nonces';
import { balanceOf, HOST, newReader, readToEnd, useStandardSite } from '../support/paywall';
import { linkKey, newCrawlerKey, signedRequest, type CrawlerKey, type SignOptions } from '../support/crawler';
import { get, newWallet, WALLET, walletForm } from '../identity/support';

afterEach(() => reset());
beforeEach(() => useStandardSite());

const MAX = { 'crawler-max-price': 'USD 0.05' };
const crawl = async (path: string, key: CrawlerKey, options: SignOptions = {}) =>
  readToEnd(await exports.default.fetch(await signedRequest(`http://${HOST}${path}`, key, options)));
const walletBalance = async (session: string) =>
  (
    await (
      await exports.default.fetch(new Request(`http://${WALLET}/__paywall/api/me`, { headers: { cookie: session } }))
    ).json<{ balanceMicros: number }>()
  ).balanceMicros;

describe('linking a crawler on the wallet host', () => {
  it('a signed-in reader links a key with the page form; the crawler then pays from that wallet; unlinking stops it', async () => {
    const { session } = await newWallet(100_000);
    const key = await newCrawlerKey();
    const linked = await walletForm(
      '/__paywall/account/crawlers/link',
      { jwk: JSON.stringify(key.jwk), directory: '', label: 'my crawler' },
      session,
    );
    expect(linked.status).toBe(303);
    const page = await (await get('/__paywall/account/crawlers?notice=linked', WALLET, session)).text();
    expect(page).toContain('my crawler');
    expect(page).toContain(`key ${key.keyid}`);

    expect((await crawl('/premium/a', key, { headers: MAX })).status).toBe(200);
    expect(await walletBalance(session)).toBe(90_000);

    expect((await walletForm('/__paywall/account/crawlers/unlink', { id: key.keyid }, session)).status).toBe(303);
    expect((await crawl('/premium/b', key, { headers: MAX })).status).toBe(402);
    expect(await walletBalance(session)).toBe(90_000);
  });

  it('explains a private key, something that is not JSON, or nothing at all, next to the field, and links nothing', async () => {
    const { session } = await newWallet(0);
    const key = await newCrawlerKey();
    const cases: [Record<string, string>, string][] = [
      [{ jwk: JSON.stringify({ ...key.jwk, d: 'secret' }), directory: '' }, 'private key'],
      [{ jwk: '{not json', directory: '' }, 'not JSON'],
      [{ jwk: '', directory: '' }, 'Give the directory URL or the public key'],
      [{ jwk: '', directory: 'ftp://crawler.example' }, 'must be the https URL'],
    ];
    for (const [fields, message] of cases) {
      const res = await walletForm('/__paywall/account/crawlers/link', fields, session);
      expect(res.status, message).toBe(400);
      expect(await res.text()).toContain(message);
    }
    expect(await (await get('/__paywall/account/crawlers', WALLET, session)).text()).toContain('No crawler is linked yet.');
  });

  it('a key already paying from another wallet is a 409, and stays with its owner', async () => {
    const owner = await newReader(50_000);
    const key = await newCrawlerKey();
    expect((await linkKey(owner, { jwk: key.jwk })).status).toBe(201);
    const { session } = await newWallet(50_000);
    const res = await walletForm('/__paywall/account/crawlers/link', { jwk: JSON.stringify(key.jwk), directory: '' }, session);
    expect(res.status).toBe(409);
    expect((await crawl('/premium/a', key, { headers: MAX })).status).toBe(200);
    expect(await balanceOf(owner)).toBe(40_000);
    expect(await walletBalance(session)).toBe(50_000);
  });

  it('the API takes the wallet host session too, but a publisher host cookie never links a key', async () => {
    const { session } = await newWallet(0);
    const key = await newCrawlerKey();
    const post = (host: string, cookie: string) =>
      exports.default.fetch(
        new Request(`http://${host}/__paywall/api/me/crawler-keys`, {
          method: 'POST',
          headers: { cookie, origin: `http://${host}`, 'content-type': 'application/json' },
          body: JSON.stringify({ jwk: key.jwk }),
        }),
      );
    expect((await post(HOST, session.replace('__Host-paywall_session', 'paywall_token'))).status).toBe(401);
    expect((await post(WALLET, session)).status).toBe(201);
  });

  it('the page is on the wallet host only', async () => {
    expect((await get('/__paywall/account/crawlers', HOST)).status).toBe(404);
  });
});

describe('caches and clean-up', () => {
  it('a key directory is fetched once for many signed requests (cached five minutes per isolate)', async () => {
    const reader = await newReader(100_000);
    const key = await newCrawlerKey();
    const id = crypto.randomUUID();
    const agent = `${env.TEST_ORIGIN}/counted/${id}/directory/${Buffer.from(JSON.stringify({ keys: [key.jwk] })).toString('base64url')}`;
    expect((await linkKey(reader, { directory: agent })).status).toBe(201);
    for (const path of ['/premium/a', '/premium/b', '/premium/c'])
      expect((await crawl(path, key, { agent, headers: MAX })).status).toBe(200);
    const { count } = await (await fetch(`${env.TEST_ORIGIN}/count/${id}`)).json<{ count: number }>();
    expect(count).toBe(1);
  });

  it('nonces are kept until their signature expires, then swept by the alarm', async () => {
    const keyid = `k-${crypto.randomUUID()}`;
    expect(await claimNonce(env, keyid, 'n1', Date.now() + 50)).toBe(true);
    expect(await claimNonce(env, keyid, 'n1', Date.now() + 50)).toBe(false);
    await new Promise((r) => setTimeout(r, 80));
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode('n1')));
    const stub = env.CRAWLER_NONCES.get(env.CRAWLER_NONCES.idFromName(`${keyid}:${digest[0]! % 8}`));
    await runDurableObjectAlarm(stub);
    const rows = await runInDurableObject(stub, (_o, state) => state.storage.sql.exec('SELECT COUNT(*) AS n FROM seen').one().n);
    expect(rows).toBe(0);
  });
});
