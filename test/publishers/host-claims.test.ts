import { reset, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, expect, it } from 'vitest';
import { ADMIN, adminCall, call, json, siteDoc, STANDARD_RULES } from '../support/paywall';
import { createPublisher, keyAuth } from '../support/publishers';
import { CLAIM_LIFETIME_MS } from '../../src/publishers/publisher-registry';
import { publisherRegistry } from '../../src/publishers/publisher-stub';

afterEach(() => reset());

const api = (path: string, init: RequestInit = {}) => adminCall(`/__paywall/api/admin${path}`, init);
const putSiteAs = (auth: Record<string, string>, host: string) =>
  api(`/sites/${host}`, { ...json(siteDoc(STANDARD_RULES, host), auth), method: 'PUT' });

async function claim(publisherId: string, auth: Record<string, string>, host: string) {
  const res = await api(`/publishers/${publisherId}/hosts`, json({ host }, auth));
  return {
    status: res.status,
    body: await res.json<{ token?: string; status?: string; error?: string; path?: string; expiresAt?: string }>(),
  };
}
const verify = (publisherId: string, auth: Record<string, string>, host: string, origin: string) =>
  api(`/publishers/${publisherId}/hosts/${host}/verify`, json({ origin }, auth));

it('a new host takes effect only once its origin serves the claim token', async () => {
  const news = await createPublisher('News', ['news.test']);
  const auth = keyAuth(news.apiKey);
  const claimed = await claim(news.publisherId, auth, 'blog.test');
  expect(claimed.status).toBe(202);
  expect(claimed.body).toMatchObject({
    status: 'pending',
    path: '/.well-known/paywall-verification',
    token: expect.stringMatching(/^pv_[A-Za-z0-9_-]{32}$/),
  });
  const token = claimed.body.token!;
  // The same claim again answers the same token.
  expect((await claim(news.publisherId, auth, 'blog.test')).body.token).toBe(token);

  // Claimed is not owned: no rules can be written for it yet.
  expect((await putSiteAs(auth, 'blog.test')).status).toBe(403);
  const wrong = await verify(news.publisherId, auth, 'blog.test', `${env.TEST_ORIGIN}/serves-token/not-the-token`);
  expect(wrong.status).toBe(400);
  expect(await wrong.json()).toMatchObject({ error: 'verification_failed' });
  const silent = await verify(news.publisherId, auth, 'blog.test', `${env.TEST_ORIGIN}/status/404`);
  expect(silent.status).toBe(400);
  expect((await putSiteAs(auth, 'blog.test')).status).toBe(403);

  const proved = await verify(news.publisherId, auth, 'blog.test', `${env.TEST_ORIGIN}/serves-token/${token}`);
  expect(proved.status).toBe(200);
  expect((await putSiteAs(auth, 'blog.test')).status).toBe(200);
  const hosts = await (await api(`/publishers/${news.publisherId}/hosts`, { headers: auth })).json();
  expect(hosts).toEqual({ hosts: ['blog.test', 'news.test'], claims: [] });
  // Its rules take effect: a view on the host goes through the paywall to the origin.
  expect((await call('/free/hello', {}, 'blog.test')).status).toBe(200);

  const audit = await (await api('/audit?limit=5', { headers: ADMIN })).json<{ entries: { action: string; host: string }[] }>();
  expect(audit.entries.map((e) => [e.action, e.host])).toEqual(
    expect.arrayContaining([
      ['publisher.host.claim', 'blog.test'],
      ['publisher.host.verify', 'blog.test'],
    ]),
  );
});

it('two publishers may claim one unowned host: the first to prove it wins, and an owned host cannot be claimed', async () => {
  const a = await createPublisher('A', ['a.test']);
  const b = await createPublisher('B', ['b.test']);
  const ta = (await claim(a.publisherId, keyAuth(a.apiKey), 'shared.test')).body.token!;
  const tb = (await claim(b.publisherId, keyAuth(b.apiKey), 'shared.test')).body.token!;
  expect(ta).not.toBe(tb);
  expect((await verify(b.publisherId, keyAuth(b.apiKey), 'shared.test', `${env.TEST_ORIGIN}/serves-token/${tb}`)).status).toBe(200);
  expect((await verify(a.publisherId, keyAuth(a.apiKey), 'shared.test', `${env.TEST_ORIGIN}/serves-token/${ta}`)).status).toBe(404);
  expect(await claim(a.publisherId, keyAuth(a.apiKey), 'shared.test')).toMatchObject({ status: 409, body: { error: 'host_taken' } });
  expect(await claim(a.publisherId, keyAuth(a.apiKey), 'b.test')).toMatchObject({ status: 409, body: { error: 'host_taken' } });
  expect(await claim(a.publisherId, keyAuth(a.apiKey), 'admin.test')).toMatchObject({ status: 400 });
  // Another publisher's claims are not a key's to make or prove.
  expect((await api(`/publishers/${b.publisherId}/hosts`, json({ host: 'x.test' }, keyAuth(a.apiKey)))).status).toBe(403);
});

it('the operator may skip the check; a publisher may not', async () => {
  const news = await createPublisher('News', ['news.test']);
  const refused = await api(`/publishers/${news.publisherId}/hosts`, json({ host: 'fast.test', skipCheck: true }, keyAuth(news.apiKey)));
  expect(refused.status).toBe(403);
  expect((await api(`/publishers/${news.publisherId}/hosts`, { headers: ADMIN })).status).toBe(200);
  expect(await (await api(`/publishers/${news.publisherId}/hosts`, { headers: ADMIN })).json()).toEqual({
    hosts: ['news.test'],
    claims: [],
  });
  const added = await api(`/publishers/${news.publisherId}/hosts`, json({ host: 'fast.test', skipCheck: true }, ADMIN));
  expect(added.status).toBe(201);
  expect((await putSiteAs(keyAuth(news.apiKey), 'fast.test')).status).toBe(200);
});

it("one of a publisher's people claims and proves a host in the console", async () => {
  const { signIn, CONSOLE, postForm, page } = await import('../support/admin-console');
  const { invite, join } = await import('../support/console-people');
  const news = await createPublisher('News', ['news.test']);
  const ada = await join(await invite(await signIn(), news.publisherId, 'Ada'));
  const cookie = ada.cookie!;
  const at = `${CONSOLE}/publishers/${news.publisherId}`;
  // A person cannot skip the check, whatever the form says.
  expect((await postForm(`${at}/hosts`, { host: 'blog.test', skipCheck: '1' }, { cookie })).status).toBe(400);
  expect((await postForm(`${at}/hosts`, { host: 'blog.test' }, { cookie })).status).toBe(303);
  const shown = await page(at, cookie);
  expect(shown.html).not.toContain('add it without the origin check');
  expect(shown.html).toContain(`by ${new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10)}: the claim ends then`);
  const token = /data-testid="claim-blog.test"[\s\S]*?<p class="once">([^<]+)<\/p>/.exec(shown.html)?.[1];
  expect(token).toMatch(/^pv_/);
  const failed = await postForm(`${at}/hosts/blog.test/verify`, { origin: `${env.TEST_ORIGIN}/serves-token/nope` }, { cookie });
  expect(failed.status).toBe(400);
  expect(await failed.text()).toContain('answered something else than the token');
  const ok = await postForm(`${at}/hosts/blog.test/verify`, { origin: `${env.TEST_ORIGIN}/serves-token/${token}` }, { cookie });
  expect(ok.status).toBe(303);
  expect((await page(`${CONSOLE}/sites/blog.test`, cookie)).status).toBe(200);
});

it('a claim not proved in 7 days ends: its token proves nothing, and claiming again makes a new one', async () => {
  const news = await createPublisher('News', ['news.test']);
  const auth = keyAuth(news.apiKey);
  const claimed = await claim(news.publisherId, auth, 'late.test');
  expect(Date.parse(claimed.body.expiresAt!) - Date.now()).toBeGreaterThan(CLAIM_LIFETIME_MS - 60_000);
  expect(CLAIM_LIFETIME_MS).toBe(7 * 86_400_000);
  const old = claimed.body.token!;
  // Age the claim by 7 days and a second.
  await runInDurableObject(publisherRegistry(env), (_o, state) => {
    state.storage.sql.exec('UPDATE host_claims SET created_at = created_at - ?', CLAIM_LIFETIME_MS + 1000);
  });
  const listed = await (await api(`/publishers/${news.publisherId}/hosts`, { headers: auth })).json();
  expect(listed).toEqual({ hosts: ['news.test'], claims: [] });
  const proved = await verify(news.publisherId, auth, 'late.test', `${env.TEST_ORIGIN}/serves-token/${old}`);
  expect(proved.status).toBe(404);
  expect(await proved.json()).toMatchObject({ error: 'claim_not_found' });
  expect((await putSiteAs(auth, 'late.test')).status).toBe(403);

  const again = await claim(news.publisherId, auth, 'late.test');
  expect(again.status).toBe(202);
  expect(again.body.token).not.toBe(old);
  expect((await verify(news.publisherId, auth, 'late.test', `${env.TEST_ORIGIN}/serves-token/${again.body.token}`)).status).toBe(200);
});
