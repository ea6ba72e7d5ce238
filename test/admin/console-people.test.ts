import { reset, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { publisherRegistry } from '../../src/publishers/publisher-stub';
import { ADMIN, adminCall, call, json, putSite, siteDoc, STANDARD_RULES } from '../support/paywall';
import { CONSOLE, page, postForm, SAME_ORIGIN, signIn } from '../support/admin-console';
import { addPasskey, codeOf, invite, join, passkeySignIn } from '../support/console-people';
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
    for (const path of [
      `/sites/other.test`,
      `/sites/other.test/revenue`,
      `/publishers/${other.publisherId}`,
      `/publishers/${other.publisherId}/statements/2026-01.csv`,
      '/debts',
      '/readers',
      `/audit?host=other.test`,
    ]) {
      const res = await page(`${CONSOLE}${path}`, cookie);
      expect(res.status, path).toBe(404);
      expect(res.html, path).not.toContain('Other Co');
    }
    // The operator's pages are not in their nav; their own publisher page is.
    expect(home.html).not.toContain('Wallets in debt');
    expect(home.html).toContain(`/__paywall/admin/publishers/${news.publisherId}`);

    // The same cookie on the admin API is scoped like the publisher's key.
    const api = (path: string, init: RequestInit = {}) =>
      adminCall(`/__paywall/api/admin${path}`, { ...init, headers: { cookie, ...SAME_ORIGIN, ...(init.headers ?? {}) } });
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
      [
        ['origin', env.TEST_ORIGIN],
        ['pattern', '/*'],
        ['price', '0.05'],
        ['window', ''],
        ['action', 'save'],
      ],
      { cookie: ada.cookie! },
    );
    expect(saved.status).toBe(303);

    const res = await adminCall('/__paywall/api/admin/audit?limit=10', { headers: ADMIN });
    const entries = (await res.json<{ entries: { action: string; via: string; actor: Record<string, string> }[] }>()).entries;
    const person = {
      type: 'person',
      publisherId: news.publisherId,
      publisherName: 'News Co',
      personName: 'Ada',
      role: 'member',
      personId: expect.stringMatching(/^per_/),
    };
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
    expect((await postForm(`${CONSOLE}/publishers/${news.publisherId}/invites`, { name: 'X' }, { cookie: member.cookie! })).status).toBe(
      403,
    );
    expect((await postForm(`${CONSOLE}/publishers/${other.publisherId}/invites`, { name: 'X' }, { cookie: owner.cookie! })).status).toBe(
      404,
    );
    const ownersPage = await page(`${CONSOLE}/publishers/${news.publisherId}`, owner.cookie!);
    expect(ownersPage.html).toContain('Make an invite link');
    expect((await page(`${CONSOLE}/publishers/${news.publisherId}`, member.cookie!)).html).not.toContain('Make an invite link');
  });

  it('the console cookie is useless on a publisher host: the console and the admin API are not there', async () => {
    const { news, operator } = await twoPublishers();
    const ada = await join(await invite(operator, news.publisherId, 'Ada'));
    for (const cookie of [ada.cookie!, operator]) {
      for (const path of [
        CONSOLE,
        `${CONSOLE}/sites/news.test`,
        '/__paywall/api/admin/sites/news.test',
        `${CONSOLE}/passkeys/sign-in-options`,
      ]) {
        const res = await call(path, { headers: { cookie } }, 'news.test');
        expect(res.status, path).toBe(404);
      }
      const put = await call(
        '/__paywall/api/admin/sites/news.test',
        { method: 'PUT', ...json(siteDoc([], 'news.test'), { cookie, origin: 'http://news.test' }) },
        'news.test',
      );
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

type Entry = { action: string; publisherId: string | null; actor: { type: string; personName?: string } | null; after: unknown };
async function lastAudit(n = 5): Promise<Entry[]> {
  return (await (await adminCall(`/__paywall/api/admin/audit?limit=${n}`, { headers: ADMIN })).json<{ entries: Entry[] }>()).entries;
}
const personIdOf = async (publisherId: string, name: string) =>
  (await publisherRegistry(env).people(publisherId)).find((p) => p.name === name)!.personId;

describe('managing people in the console', () => {
  it('an owner removes a person: their session is refused at once, on the console and the API, their passkey signs nobody in, and it is audited', async () => {
    const { news, operator } = await twoPublishers();
    const owner = await join(await invite(operator, news.publisherId, 'Olive', 'owner'));
    const max = await join(await invite(operator, news.publisherId, 'Max', 'member'));
    const apiWithMax = () => adminCall('/__paywall/api/admin/sites/news.test', { headers: { cookie: max.cookie!, ...SAME_ORIGIN } });
    expect((await page(CONSOLE, max.cookie!)).status).toBe(200);
    expect((await apiWithMax()).status).toBe(200);

    const shown = await page(`${CONSOLE}/publishers/${news.publisherId}`, owner.cookie!);
    const maxId = await personIdOf(news.publisherId, 'Max');
    expect(shown.html).toContain(`/people/${maxId}/remove`);
    const removed = await postForm(`${CONSOLE}/publishers/${news.publisherId}/people/${maxId}/remove`, {}, { cookie: owner.cookie! });
    expect(removed.status).toBe(303);
    expect(removed.headers.get('location')).toBe(`${CONSOLE}/publishers/${news.publisherId}?done=removed`);

    // The very next request with Max's cookie is refused; the cookie itself is still unexpired.
    expect((await page(CONSOLE, max.cookie!)).status).toBe(401);
    expect((await page(`${CONSOLE}/sites/news.test`, max.cookie!)).status).toBe(401);
    expect((await apiWithMax()).status).toBe(401);
    expect((await passkeySignIn(max.authenticator)).status).toBe(401);
    const after = await page(`${CONSOLE}/publishers/${news.publisherId}?done=removed`, owner.cookie!);
    expect(after.html).toContain('The person is removed');
    expect(after.html).not.toContain('>Max<');

    const [entry] = await lastAudit(1);
    expect(entry).toMatchObject({
      action: 'publisher.person.remove',
      publisherId: news.publisherId,
      actor: { type: 'person', personName: 'Olive' },
    });
    expect(entry!.after).toEqual({ personId: maxId, name: 'Max', role: 'member' });
    expect((await page(`${CONSOLE}/audit`, owner.cookie!)).html).toContain('removed Max (member)');
  });

  it('the operator removes a person too; a member removes nobody, an owner not themself, and no one a person of another publisher', async () => {
    const { news, other, operator } = await twoPublishers();
    const owner = await join(await invite(operator, news.publisherId, 'Olive', 'owner'));
    const member = await join(await invite(operator, news.publisherId, 'Max', 'member'));
    const stranger = await join(await invite(operator, other.publisherId, 'Otto', 'owner'));
    const [oliveId, maxId, ottoId] = [
      await personIdOf(news.publisherId, 'Olive'),
      await personIdOf(news.publisherId, 'Max'),
      await personIdOf(other.publisherId, 'Otto'),
    ];
    const remove = (cookie: string, publisherId: string, personId: string) =>
      postForm(`${CONSOLE}/publishers/${publisherId}/people/${personId}/remove`, {}, { cookie });
    const auditBefore = JSON.stringify(await lastAudit(20));

    expect((await remove(member.cookie!, news.publisherId, oliveId)).status).toBe(403);
    expect((await remove(owner.cookie!, news.publisherId, oliveId)).status).toBe(403);
    expect((await remove(owner.cookie!, other.publisherId, ottoId)).status).toBe(404);
    expect((await remove(owner.cookie!, news.publisherId, ottoId)).status).toBe(404);
    expect((await page(`${CONSOLE}/publishers/${news.publisherId}`, member.cookie!)).html).not.toContain('/remove"');
    // Every refusal changed nothing.
    expect(JSON.stringify(await lastAudit(20))).toBe(auditBefore);
    expect((await publisherRegistry(env).people(news.publisherId)).map((p) => p.name)).toEqual(['Olive', 'Max']);
    expect((await page(CONSOLE, stranger.cookie!)).status).toBe(200);

    expect((await remove(operator, news.publisherId, maxId)).status).toBe(303);
    expect((await page(CONSOLE, member.cookie!)).status).toBe(401);
    expect((await lastAudit(1))[0]).toMatchObject({ action: 'publisher.person.remove', actor: { type: 'operator' } });
    // Removing twice finds nobody.
    expect((await remove(operator, news.publisherId, maxId)).status).toBe(404);
  });

  it('a revoked invite fails: its page, and accepting it; revoking is the owner\u2019s or the operator\u2019s, and audited', async () => {
    const { news, other, operator } = await twoPublishers();
    const owner = await join(await invite(operator, news.publisherId, 'Olive', 'owner'));
    const member = await join(await invite(operator, news.publisherId, 'Max', 'member'));
    const stranger = await join(await invite(operator, other.publisherId, 'Otto', 'owner'));
    const link = await invite(owner.cookie!, news.publisherId, 'Newcomer');
    const inviteId = (await publisherRegistry(env).invites(news.publisherId)).find((i) => i.name === 'Newcomer')!.inviteId;
    const revoke = (cookie: string, publisherId = news.publisherId) =>
      postForm(`${CONSOLE}/publishers/${publisherId}/invites/${inviteId}/revoke`, {}, { cookie });

    const shown = await page(`${CONSOLE}/publishers/${news.publisherId}`, owner.cookie!);
    expect(shown.html).toContain(`/invites/${inviteId}/revoke`);
    expect((await revoke(member.cookie!)).status).toBe(403);
    expect((await revoke(stranger.cookie!)).status).toBe(404);
    expect((await revoke(stranger.cookie!, other.publisherId)).status).toBe(404);
    expect((await page(link, '')).status).toBe(200); // still good after the refusals

    expect((await revoke(owner.cookie!)).status).toBe(303);
    expect((await page(link, '')).status).toBe(404);
    const tried = await join(link);
    expect(tried.status).toBe(400);
    expect(tried.body).toMatchObject({ error: 'invite_invalid' });
    expect((await publisherRegistry(env).people(news.publisherId)).map((p) => p.name)).toEqual(['Olive', 'Max']);
    expect((await page(`${CONSOLE}/publishers/${news.publisherId}`, owner.cookie!)).html).not.toContain(`invite-${inviteId}`);
    const [entry] = await lastAudit(1);
    expect(entry).toMatchObject({
      action: 'publisher.invite.revoke',
      publisherId: news.publisherId,
      actor: { type: 'person', personName: 'Olive' },
    });
    expect((await page(`${CONSOLE}/audit`, owner.cookie!)).html).toContain('revoked the invite for Newcomer');
    // A used or revoked invite cannot be revoked again.
    expect((await revoke(operator)).status).toBe(404);
  });

  it('a person adds a second passkey, signs in with either, and removes one of theirs but never the last', async () => {
    const { news, operator } = await twoPublishers();
    const ada = await join(await invite(operator, news.publisherId, 'Ada'));
    const publisherPage = `${CONSOLE}/publishers/${news.publisherId}`;
    const first = await page(publisherPage, ada.cookie!);
    expect(first.html).toContain('Your passkeys');
    expect(first.html).toContain('data-passkey-endpoint="/__paywall/admin/passkeys/mine"');
    expect(first.html).toContain('your only one');

    const second = await addPasskey(ada.cookie!);
    expect(second.status).toBe(200);
    expect(second.body.next).toBe(`${publisherPage}?done=passkey-added#passkeys`);
    expect((await passkeySignIn(second.authenticator)).status).toBe(200);
    expect((await passkeySignIn(ada.authenticator)).status).toBe(200);
    expect((await lastAudit(1))[0]).toMatchObject({ action: 'publisher.passkey.add', actor: { type: 'person', personName: 'Ada' } });
    // The same authenticator twice is one passkey.
    expect((await addPasskey(ada.cookie!, second.authenticator)).body).toMatchObject({ error: 'already_registered' });

    const keys = await publisherRegistry(env).personPasskeys(await personIdOf(news.publisherId, 'Ada'));
    expect(keys).toHaveLength(2);
    const [firstKey, secondKey] = keys.map((k) => k.credentialId);
    const remove = (cookie: string, id: string) => postForm(`${publisherPage}/passkeys/${id}/remove`, {}, { cookie });
    // The operator removes nobody's passkey; the person removes their first one.
    expect((await remove(operator, firstKey!)).status).toBe(403);
    expect((await remove(ada.cookie!, firstKey!)).status).toBe(303);
    expect((await passkeySignIn(ada.authenticator)).status).toBe(401);
    expect((await passkeySignIn(second.authenticator)).status).toBe(200);
    expect((await lastAudit(1))[0]).toMatchObject({ action: 'publisher.passkey.remove', actor: { type: 'person', personName: 'Ada' } });
    // The last one stays.
    const last = await remove(ada.cookie!, secondKey!);
    expect(last.status).toBe(409);
    expect(await last.text()).toContain('your only passkey');
    expect((await passkeySignIn(second.authenticator)).status).toBe(200);
    expect((await page(publisherPage, ada.cookie!)).html).toContain('your only one');
  });

  it("a person cannot remove another person's passkey, nor add one without a session", async () => {
    const { news, operator } = await twoPublishers();
    const ada = await join(await invite(operator, news.publisherId, 'Ada'));
    const bob = await join(await invite(operator, news.publisherId, 'Bob'));
    await addPasskey(bob.cookie!);
    const bobsKey = (await publisherRegistry(env).personPasskeys(await personIdOf(news.publisherId, 'Bob')))[0]!.credentialId;
    expect(
      (await postForm(`${CONSOLE}/publishers/${news.publisherId}/passkeys/${bobsKey}/remove`, {}, { cookie: ada.cookie! })).status,
    ).toBe(404);
    expect(await publisherRegistry(env).personPasskeys(await personIdOf(news.publisherId, 'Bob'))).toHaveLength(2);
    expect((await addPasskey('')).status).toBe(401);
    expect((await addPasskey(operator)).status).toBe(401);
  });
});

it("the console's passkey buttons say what a cancel means for the console; the shared script speaks of no wallet", async () => {
  const { news, operator } = await twoPublishers();
  const link = await invite(operator, news.publisherId, 'Ada');
  const joinPage = await page(link, '');
  const signInPage = await page(CONSOLE, '');
  const ada = await join(await invite(operator, news.publisherId, 'Bea'));
  const own = await page(`${CONSOLE}/publishers/${news.publisherId}`, ada.cookie!);
  for (const [name, shown] of [
    ['join', joinPage],
    ['sign-in', signInPage],
    ['publisher', own],
  ] as const) {
    const buttons = [...shown.html.matchAll(/<button[^>]*data-passkey-action[^>]*>/g)].map((m) => m[0]);
    expect(buttons.length, name).toBe(1);
    expect(buttons[0], name).toMatch(/data-passkey-cancelled="[^"]+"/);
    expect(shown.html.toLowerCase(), name).not.toContain('wallet');
  }
  const script = await (await adminCall('/__paywall/assets/passkeys-v1.js')).text();
  expect(script).toContain('dataset.passkeyCancelled');
  expect(script.toLowerCase()).not.toContain('wallet');
});
