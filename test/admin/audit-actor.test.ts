import { reset } from 'cloudflare:test';
import { afterEach, expect, it } from 'vitest';
import { ADMIN, adminCall, json, putSite, siteDoc, STANDARD_RULES } from '../support/paywall';
import { signIn } from '../support/admin-console';
import { createPublisher, keyAuth } from '../support/publishers';

afterEach(() => reset());

type Entry = { id: number; action: string; host: string | null; publisherId: string | null; actor: Record<string, string> | null };

async function auditAs(headers: Record<string, string>, query = '') {
  const res = await adminCall(`/__paywall/api/admin/audit?limit=100${query}`, { headers });
  expect(res.status).toBe(200);
  return (await res.json<{ entries: Entry[] }>()).entries;
}

it('the audit log names the actor: the operator by token or console, or which publisher key', async () => {
  const news = await createPublisher('News Co', ['news.test']);
  await putSite(siteDoc(STANDARD_RULES, 'news.test'), 'news.test');
  const cookie = await signIn();
  await adminCall('/__paywall/api/admin/sites/news.test', { method: 'DELETE', headers: { cookie, origin: 'http://admin.test' } });
  const made = await adminCall(
    `/__paywall/api/admin/publishers/${news.publisherId}/keys`,
    json({ name: 'deploy bot' }, keyAuth(news.apiKey)),
  );
  const bot = await made.json<{ apiKey: string; keyId: string }>();
  await adminCall('/__paywall/api/admin/sites/news.test', { ...json(siteDoc([], 'news.test'), keyAuth(bot.apiKey)), method: 'PUT' });

  const entries = await auditAs(ADMIN);
  expect(entries.map((e) => [e.action, e.actor])).toEqual([
    [
      'site.put',
      { type: 'publisher_key', publisherId: news.publisherId, publisherName: 'News Co', keyId: bot.keyId, keyName: 'deploy bot' },
    ],
    [
      'publisher.key.create',
      { type: 'publisher_key', publisherId: news.publisherId, publisherName: 'News Co', keyId: news.keyId, keyName: 'first key' },
    ],
    ['site.delete', { type: 'operator', via: 'console' }],
    ['site.put', { type: 'operator', via: 'api' }],
    ['publisher.create', { type: 'operator', via: 'api' }],
  ]);
  expect(JSON.stringify(entries)).not.toContain(bot.apiKey);
  expect(JSON.stringify(entries)).not.toContain(news.apiKey);
});

it('a publisher key lists only its hosts\u2019 entries and its own records, and cannot open another\u2019s entry', async () => {
  const news = await createPublisher('News', ['news.test']);
  const other = await createPublisher('Other', ['other.test']);
  await putSite(siteDoc(STANDARD_RULES, 'news.test'), 'news.test');
  await putSite(siteDoc(STANDARD_RULES, 'other.test'), 'other.test');
  await adminCall(`/__paywall/api/admin/publishers/${other.publisherId}/keys`, json({ name: 'theirs' }, keyAuth(other.apiKey)));

  const mine = await auditAs(keyAuth(news.apiKey));
  expect(mine.map((e) => [e.action, e.host ?? e.publisherId])).toEqual([
    ['site.put', 'news.test'],
    ['publisher.create', news.publisherId],
  ]);
  const all = await auditAs(ADMIN);
  for (const e of all) {
    const res = await adminCall(`/__paywall/api/admin/audit/${e.id}`, { headers: keyAuth(news.apiKey) });
    expect(res.status, `${e.action} ${e.host ?? e.publisherId}`).toBe(mine.some((m) => m.id === e.id) ? 200 : 403);
  }
  expect((await adminCall('/__paywall/api/admin/audit?host=other.test', { headers: keyAuth(news.apiKey) })).status).toBe(403);
});
