import { reset, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { publisherRegistry } from '../../src/publishers/publisher-stub';
import { ADMIN, adminCall, call, json, putSite, siteDoc, STANDARD_RULES } from '../support/paywall';
import { CONSOLE, page, postForm, SAME_ORIGIN, signIn } from '../support/admin-console';
import { codeOf, invite, join, passkeySignIn } from '../support/console-people';
import { createPublisher } from '../support/publishers';

afterEach(() => reset());

async function twoPublishers() {
  const news = await createPublisher('News Co', ['news.test']);
  const other = await createPublisher('Other Co', ['other.test']);
  await putSite(siteDoc(STANDARD_RULES, 'news.test'), 'news.test');
  await putSite(siteDoc(STANDARD_RULES, 'other.test'), 'other.test');
  return { news, other, operator: await signIn() };
}

describe("a publisher's people in the console", () => {
  it('an invite link works once: the person makes a passkey, is signed in, and the link is then dead', async () => {
    const { news, operator } = await twoPublishers();
    const link = await invite(operator, news.publisherId, 'Ada Lovelace', 'owner');

    const landing = await page(link, '');
    expect(landing.status).toBe(200);
    expect(landing.html).toContain('Join News Co');
    expect(landing.html).toContain('data-invite="inv_');
    expect(landing.res.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(landing.html).not.toMatch(/<script nonce="[^"]*">/); // the passkey script is a file, not inline

    const ada = await join(link);
    expect(ada.status).toBe(200);
    expect(ada.cookie).toMatch(/^paywall_admin=/);
    const home = await page(CONSOLE, ada.cookie!);
    expect(home.status).toBe(200);
    expect(home.html).toContain('Sites of News Co');

    // Used once: the page says so, and neither a second browser nor the same one can use it again.
    expect((await page(link, '')).status).toBe(404);
    const again = await join(link, '198.51.100.8');
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ error: 'invite_invalid' });

    const people = await publisherRegistry(env).people(news.publisherId);
    expect(people).toEqual([expect.objectContaining({ name: 'Ada Lovelace', role: 'owner', passkeys: 1 })]);
  });

  it('two registrations racing on one invite make one person', async () => {
    const { news, operator } = await twoPublishers();
    const link = await invite(operator, news.publisherId, 'Grace');
    const results = await Promise.all([join(link, '198.51.100.21'), join(link, '198.51.100.22')]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
    expect(await publisherRegistry(env).people(news.publisherId)).toHaveLength(1);
  });

  it('an expired invite fails, and so does a made-up one', async () => {
    const { news, operator } = await twoPublishers();
    const link = await invite(operator, news.publisherId, 'Late Larry');
    await runInDurableObject(publisherRegistry(env), (_o, state) => {
      state.storage.sql.exec('UPDATE invites SET expires_at = ?', Date.now() - 1);
    });
    expect((await page(link, '')).status).toBe(404);
    expect((await join(link)).body).toMatchObject({ error: 'invite_invalid' });
    expect((await join(`${CONSOLE}/join/inv_${'A'.repeat(43)}`)).status).toBe(400);
    expect(await publisherRegistry(env).people(news.publisherId)).toEqual([]);
  });

  it('a person sees only their publisher: its sites, audit and page; another publisher is not there', async () => {
    const { news, other, operator } = await twoPublishers();
    const ada = await join(await invite(operator, news.publisherId, 'Ada'));
    const cookie = ada.cookie!;

    const home = await page(CONSOLE, cookie);
    expect(home.html).toContain('Edit rules of news.test');
    expect(home.html).not.toContain('other.test');
    expect((await page(`${CONSOLE}/sites/news.test`, cookie)).status).toBe(200);
    for (const path of [`/sites/other.test`, `/sites/other.test/revenue`, `/publishers/${other.publisherId}`, `/publishers/${other.publisherId}/statements/2026-01.csv`, '/debts', '/readers', `/audit?host=other.test`]) {
      const res = await page(`${CONSOLE}${path}`, cookie);
      expect(res.status, path).toBe(404);
      expect(res.html, path).not.toContain('Other Co');
    }
    // The operator's pages are not in their nav; their own publisher page is.
    expect(home.html).not.toContain('Wallets in debt');
    expect(home.html).toContain(`/__paywall/admin/publishers/${news.publisherId}`);

    // The same cookie on the admin API is scoped like the publisher's key.
    const api = (path: string, init: RequestInit = {}) => adminCall(`/__paywall/api/admin${path}`, { ...init, headers: { cookie, ...SAME_ORIGIN, ...(init.headers ?? {}) } });
    expect((await api('/sites/news.test')).status).toBe(200);
    expect((await api('/sites/other.test')).status).toBe(403);
    const before = await (await adminCall('/__paywall/api/admin/sites/other.test', { headers: ADMIN })).text();
    expect((await api('/sites/other.test', { method: 'PUT', ...json(siteDoc([], 'other.test')) })).status).toBe(403);
    expect(await (await adminCall('/__paywall/api/admin/sites/other.test', { headers: ADMIN })).text()).toBe(before);
    expect((await api('/publishers', { method: 'POST', ...json({ name: 'Mine', hosts: ['mine.test'] }) })).status).toBe(403);
  });

  it("a person's changes are audited with their name", async () => {
    const { news, operator } = await twoPublishers();
    const ada = await join(await invite(operator, news.publisherId, 'Ada', 'member'));
    const saved = await postForm(
      `${CONSOLE}/sites/news.test`,
      [['origin', env.TEST_ORIGIN], ['pattern', '/*'], ['price', '0.05'], ['window', ''], ['action', 'save']],
      { cookie: ada.cookie! },
    );
    expect(saved.status).toBe(303);

    const res = await adminCall('/__paywall/api/admin/audit?limit=10', { headers: ADMIN });
    const entries = (await res.json<{ entries: { action: string; via: string; actor: Record<string, string> }[] }>()).entries;
    const person = { type: 'person', publisherId: news.publisherId, publisherName: 'News Co', personName: 'Ada', role: 'member', personId: expect.stringMatching(/^per_/) };
    expect(entries.slice(0, 3).map((e) => [e.action, e.via, e.actor])).toEqual([
      ['site.put', 'console', person],
      ['publisher.person.join', 'console', person],
      ['publisher.invite.create', 'console', { type: 'operator', via: 'console' }],
    ]);
    const log = await page(`${CONSOLE}/audit`, operator);
    expect(log.html).toContain('Ada of News Co (member), console');
  });

  it('signs in again with the passkey, and a removed person or an unknown passkey cannot', async () => {
    const { news, operator } = await twoPublishers();
    const ada = await join(await invite(operator, news.publisherId, 'Ada'));
    const again = await passkeySignIn(ada.authenticator);
    expect(again.status).toBe(200);
    expect(again.body.next).toBe(`${CONSOLE}/audit`);
    expect((await page(CONSOLE, again.cookie!)).html).toContain('Sites of News Co');

    const stranger = await join(await invite(operator, news.publisherId, 'Eve'));
    await runInDurableObject(publisherRegistry(env), (_o, state) => {
      state.storage.sql.exec("UPDATE people SET removed_at = ? WHERE name = 'Eve'", Date.now());
    });
    expect((await page(CONSOLE, stranger.cookie!)).status).toBe(401);
    expect((await passkeySignIn(stranger.authenticator)).status).toBe(401);
  });

  it('an owner invites to their own publisher only; a member invites nobody', async () => {
    const { news, other, operator } = await twoPublishers();
    const owner = await join(await invite(operator, news.publisherId, 'Olive', 'owner'));
    const member = await join(await invite(operator, news.publisherId, 'Max', 'member'));
    const link = await invite(owner.cookie!, news.publisherId, 'New hire');
    expect(codeOf(link)).toMatch(/^inv_/);
    expect((await postForm(`${CONSOLE}/publishers/${news.publisherId}/invites`, { name: 'X' }, { cookie: member.cookie! })).status).toBe(403);
    expect((await postForm(`${CONSOLE}/publishers/${other.publisherId}/invites`, { name: 'X' }, { cookie: owner.cookie! })).status).toBe(404);
    const ownersPage = await page(`${CONSOLE}/publishers/${news.publisherId}`, owner.cookie!);
    expect(ownersPage.html).toContain('Make an invite link');
    expect((await page(`${CONSOLE}/publishers/${news.publisherId}`, member.cookie!)).html).not.toContain('Make an invite link');
  });

  it('the console cookie is useless on a publisher host: the console and the admin API are not there', async () => {
    const { news, operator } = await twoPublishers();
    const ada = await join(await invite(operator, news.publisherId, 'Ada'));
    for (const cookie of [ada.cookie!, operator]) {
      for (const path of [CONSOLE, `${CONSOLE}/sites/news.test`, '/__paywall/api/admin/sites/news.test', `${CONSOLE}/passkeys/sign-in-options`]) {
        const res = await call(path, { headers: { cookie } }, 'news.test');
        expect(res.status, path).toBe(404);
      }
      const put = await call('/__paywall/api/admin/sites/news.test', { method: 'PUT', ...json(siteDoc([], 'news.test'), { cookie, origin: 'http://news.test' }) }, 'news.test');
      expect(put.status).toBe(404);
    }
  });

  it('the operator makes a publisher in the console, and its first key is shown once', async () => {
    const operator = await signIn();
    const bad = await postForm(`${CONSOLE}/publishers`, { name: '', hosts: 'Not A Host' }, { cookie: operator });
    expect(bad.status).toBe(400);
    const made = await postForm(`${CONSOLE}/publishers`, { name: 'Daily', hosts: 'daily.test\nwww.daily.test' }, { cookie: operator });
    expect(made.status).toBe(201);
    const key = /data-testid="api-key"[^>]*>\s*(pk_[A-Za-z0-9_-]{43})/.exec(await made.text())?.[1];
    expect(key).toBeDefined();
    const res = await adminCall('/__paywall/api/admin/sites/daily.test', { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(404); // allowed (its host), no site yet
    const taken = await postForm(`${CONSOLE}/publishers`, { name: 'Squatter', hosts: 'daily.test' }, { cookie: operator });
    expect(taken.status).toBe(400);
    expect(await taken.text()).toContain('daily.test belongs to another publisher');
  });
});
