import { reset } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ADMIN,
  adminCall,
  balanceOf,
  call,
  HOST,
  json,
  ledgerOf,
  newReader,
  readToEnd,
  useStandardSite,
  WALLET_HOST,
  type Reader,
} from '../support/paywall';
import { directoryUrl, linkKey, newCrawlerKey, signedRequest, type CrawlerKey, type SignOptions } from '../support/crawler';

afterEach(() => reset());
beforeEach(() => useStandardSite());

const URL_OF = (path: string) => `http://${HOST}${path}`;
const send = async (request: Request) => readToEnd(await exports.default.fetch(request));
const crawl = async (path: string, key: CrawlerKey, options: SignOptions = {}) => send(await signedRequest(URL_OF(path), key, options));
const MAX = { 'crawler-max-price': 'USD 0.05' };
const charges = async (reader: Reader) => (await ledgerOf(reader)).filter((e) => e.type === 'charge');

async function linked(topUp = 100_000): Promise<{ reader: Reader; key: CrawlerKey }> {
  const reader = await newReader(topUp);
  const key = await newCrawlerKey();
  const res = await linkKey(reader, { jwk: key.jwk, label: 'test crawler' });
  expect(res.status).toBe(201);
  expect(await res.json()).toMatchObject({ id: key.keyid, kind: 'key', keyid: key.keyid, readerId: reader.readerId });
  return { reader, key };
}

describe('Web Bot Auth: a linked crawler pays by its signature alone', () => {
  it('a signed request with crawler-max-price is charged to the linked wallet: 200, crawler-charged, a receipt in its ledger', async () => {
    const { reader, key } = await linked();
    const res = await crawl('/premium/a', key, { headers: MAX });
    expect(res.status).toBe(200);
    expect(res.headers.get('crawler-charged')).toBe('USD 0.01');
    const [charge] = await charges(reader);
    expect(charge).toMatchObject({ id: res.headers.get('paywall-receipt'), amountMicros: 10_000 });
    expect(await balanceOf(reader)).toBe(90_000);
  });

  it('without a price header it is a 402 MissingCrawlerPrice, nothing charged', async () => {
    const { reader, key } = await linked();
    const res = await crawl('/premium/a', key);
    expect(res.status).toBe(402);
    expect(res.headers.get('crawler-error')).toBe('MissingCrawlerPrice');
    expect(res.headers.get('crawler-price')).toBe('USD 0.01');
    expect(await balanceOf(reader)).toBe(100_000);
  });

  it('a price above crawler-max-price is a 402 InvalidCrawlerMaxPrice; a short wallet the contract’s 402', async () => {
    const { reader, key } = await linked(5_000);
    const low = await crawl('/premium/a', key, { headers: { 'crawler-max-price': 'USD 0.005' } });
    expect(low.status).toBe(402);
    expect(low.headers.get('crawler-error')).toBe('InvalidCrawlerMaxPrice');
    const short = await crawl('/premium/a', key, { headers: MAX });
    expect(short.status).toBe(402);
    expect(await short.json()).toMatchObject({ error: 'insufficient_balance' });
    expect(await balanceOf(reader)).toBe(5_000);
  });

  it('a key linked through its Signature-Agent directory pays too; the directory is fetched, its keys found by thumbprint', async () => {
    const reader = await newReader(100_000);
    const [key, other] = [await newCrawlerKey(), await newCrawlerKey()];
    const agent = directoryUrl([other, key]);
    expect((await linkKey(reader, { directory: agent })).status).toBe(201);
    const res = await crawl('/premium/a', key, { agent, headers: MAX });
    expect(res.status).toBe(200);
    expect(await balanceOf(reader)).toBe(90_000);
    // A key that is not in the directory is not this crawler.
    const stranger = await newCrawlerKey();
    const refused = await crawl('/premium/b', stranger, { agent, headers: MAX });
    expect(refused.status).toBe(402);
    expect(await balanceOf(reader)).toBe(90_000);
  });
});

describe('Web Bot Auth: what is refused', () => {
  it('an unlinked crawler gets a 402 that says how to link its key, and nothing is charged', async () => {
    const key = await newCrawlerKey();
    const res = await crawl('/premium/a', key, { headers: MAX });
    expect(res.status).toBe(402);
    // Keys are linked with the wallet's bearer token on the wallet host, whichever publisher refused.
    expect(res.headers.get('link')).toBe(`<http://${WALLET_HOST}/__paywall/api/me/crawler-keys>; rel="crawler-key-link"`);
    const body = await res.json<{ error: string; crawler: Record<string, unknown> }>();
    expect(body.error).toBe('payment_required');
    expect(body.crawler).toMatchObject({ linked: false, keyid: key.keyid, linkUrl: `http://${WALLET_HOST}/__paywall/api/me/crawler-keys` });
    expect(String(body.crawler.howToLink)).toContain('jwk');

    // The address it names works: linked there with the wallet's bearer token, the same key pays here.
    const reader = await newReader(100_000);
    const link = new URL(String(body.crawler.linkUrl));
    const made = await call(link.pathname, json({ jwk: key.jwk, label: 'test crawler' }, reader.auth), link.host);
    expect(made.status).toBe(201);
    expect((await crawl('/premium/a', key, { headers: MAX })).status).toBe(200);
    expect(await balanceOf(reader)).toBe(90_000);
  });

  it('an expired signature is a 400 InvalidSignature naming Signature-Input, nothing charged', async () => {
    const { reader, key } = await linked();
    const res = await crawl('/premium/a', key, { headers: MAX, created: -120, expires: -60 });
    expect(res.status).toBe(400);
    expect(res.headers.get('crawler-error')).toBe('InvalidSignature');
    expect(await res.json()).toMatchObject({ error: 'invalid_signature', reason: 'expired', field: 'Signature-Input' });
    expect(await balanceOf(reader)).toBe(100_000);
  });

  it('a signature that expires too far ahead is refused (the replay store keeps each until it expires)', async () => {
    const { reader, key } = await linked();
    const res = await crawl('/premium/a', key, { headers: MAX, expires: 2 * 3600 });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_signature', reason: 'lifetime_too_long' });
    expect(await balanceOf(reader)).toBe(100_000);
  });

  it('a replayed signature is refused: the first request is charged once, its copy is a 400', async () => {
    const { reader, key } = await linked();
    const request = await signedRequest(URL_OF('/premium/a'), key, { headers: MAX });
    const copy = request.clone();
    expect((await send(request)).status).toBe(200);
    const replay = await send(copy);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_signature', reason: 'replayed' });
    expect((await charges(reader)).length).toBe(1);
    expect(await balanceOf(reader)).toBe(90_000);
  });

  it("a signature made with another key than its keyid names (a linked crawler's) does not verify", async () => {
    const { reader, key } = await linked();
    const impostor = await newCrawlerKey();
    const res = await crawl('/premium/a', key, { headers: MAX, signer: { ...impostor.signer, keyid: key.keyid } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_signature', reason: 'invalid_signature' });
    expect(await balanceOf(reader)).toBe(100_000);
  });

  it('a tampered component does not verify: another @authority, or a changed Signature-Agent', async () => {
    const { reader, key } = await linked();
    const elsewhere = await crawl('/premium/a', key, { headers: MAX, signedUrl: 'http://other.test/premium/a' });
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.json()).toMatchObject({ reason: 'invalid_signature' });

    const request = await signedRequest(URL_OF('/premium/b'), key, { headers: MAX, agent: 'https://crawler.example' });
    const headers = new Headers(request.headers);
    headers.set('signature-agent', '"https://another.example"');
    const changed = await send(new Request(request.url, { headers }));
    expect(changed.status).toBe(400);
    expect(await changed.json()).toMatchObject({ reason: 'invalid_signature' });
    expect(await balanceOf(reader)).toBe(100_000);
  });

  it('half a signature is a 400 naming the missing header', async () => {
    const { key } = await linked();
    const request = await signedRequest(URL_OF('/premium/a'), key, { headers: MAX });
    const headers = new Headers(request.headers);
    headers.delete('signature-input');
    const res = await send(new Request(request.url, { headers }));
    expect(res.status).toBe(400);
    expect(res.headers.get('crawler-error')).toBe('InvalidSignature');
    expect(await res.json()).toMatchObject({ field: 'Signature-Input' });
  });
});

describe('linking a crawler to a wallet', () => {
  it('needs the reader’s bearer token (a cookie is not enough) and a public Ed25519 key', async () => {
    const reader = await newReader();
    const key = await newCrawlerKey();
    expect((await call('/__paywall/api/me/crawler-keys', json({ jwk: key.jwk }))).status).toBe(401);
    expect((await call('/__paywall/api/me/crawler-keys', json({ jwk: key.jwk }, { cookie: `paywall_token=${reader.token}` }))).status).toBe(
      401,
    );
    const bad: [Record<string, unknown>, string][] = [
      [{ jwk: { ...key.jwk, d: 'A'.repeat(43) } }, 'jwk'],
      [{ jwk: { kty: 'RSA', n: 'x', e: 'AQAB' } }, 'jwk'],
      [{ directory: 'ftp://crawler.example' }, 'directory'],
      [{ jwk: key.jwk, directory: 'https://crawler.example' }, 'jwk'],
      [{}, 'jwk'],
    ];
    for (const [body, field] of bad) {
      const res = await linkKey(reader, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await res.json(), JSON.stringify(body)).toMatchObject({ field });
    }
    const res = await call('/__paywall/api/me/crawler-keys', { headers: reader.auth });
    expect(await res.json()).toEqual({ links: [] });
  });

  it('a key pays from one wallet: linking it to another is a 409; unlinking stops the payments', async () => {
    const { reader, key } = await linked();
    const other = await newReader(100_000);
    const taken = await linkKey(other, { jwk: key.jwk });
    expect(taken.status).toBe(409);
    expect((await linkKey(reader, { jwk: key.jwk })).status).toBe(200);
    const list = await (await call('/__paywall/api/me/crawler-keys', { headers: reader.auth })).json<{ links: { id: string }[] }>();
    expect(list.links.map((l) => l.id)).toEqual([key.keyid]);
    expect((await call(`/__paywall/api/me/crawler-keys/${key.keyid}`, { method: 'DELETE', headers: other.auth })).status).toBe(404);
    expect((await call(`/__paywall/api/me/crawler-keys/${key.keyid}`, { method: 'DELETE', headers: reader.auth })).status).toBe(204);
    const res = await crawl('/premium/a', key, { headers: MAX });
    expect(res.status).toBe(402);
    expect(await balanceOf(reader)).toBe(100_000);
  });

  it('the operator links a key to a reader, finds it by keyid, and unlinks it', async () => {
    const reader = await newReader(100_000);
    const key = await newCrawlerKey();
    const made = await adminCall('/__paywall/api/admin/crawler-keys', json({ readerId: reader.readerId, jwk: key.jwk }, ADMIN));
    expect(made.status).toBe(201);
    expect(await made.json()).toMatchObject({ readerId: reader.readerId, linkedBy: 'operator' });
    expect((await adminCall(`/__paywall/api/admin/crawler-keys/lookup?keyid=${key.keyid}`, { headers: ADMIN })).status).toBe(200);
    expect((await crawl('/premium/a', key, { headers: MAX })).status).toBe(200);
    expect(
      (await adminCall(`/__paywall/api/admin/readers/${reader.readerId}/crawler-keys/${key.keyid}`, { method: 'DELETE', headers: ADMIN }))
        .status,
    ).toBe(204);
    expect((await crawl('/premium/b', key, { headers: MAX })).status).toBe(402);
    expect(await balanceOf(reader)).toBe(90_000);
    expect((await adminCall('/__paywall/api/admin/crawler-keys', json({ readerId: reader.readerId, jwk: key.jwk }))).status).toBe(401);
  });
});
