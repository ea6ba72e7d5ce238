import { reset } from 'cloudflare:test';
import { afterEach, expect, it } from 'vitest';
import { ADMIN, adminCall, ledgerOf, newReader } from '../support/paywall';
import { createPublisher, keyAuth } from '../support/publishers';

afterEach(() => reset());

it('the operator looks a reader up by id and reads their ledger, and each look is in the audit log', async () => {
  const reader = await newReader(5000);
  const summary = await adminCall(`/__paywall/api/admin/readers/${reader.readerId}`, { headers: ADMIN });
  expect(summary.status).toBe(200);
  expect(await summary.json()).toEqual({
    readerId: reader.readerId,
    balanceMicros: 5000,
    dailyCapMicros: null,
    spentTodayMicros: 0,
    askAboveMicros: null,
  });

  const ledger = await adminCall(`/__paywall/api/admin/readers/${reader.readerId}/ledger?limit=10`, { headers: ADMIN });
  expect(ledger.status).toBe(200);
  expect((await ledger.json<{ entries: unknown[] }>()).entries).toEqual(await ledgerOf(reader));

  const { entries } = await (await adminCall('/__paywall/api/admin/audit', { headers: ADMIN })).json<{
    entries: { action: string; readerId: string; detail: { looked_at: string } }[];
  }>();
  expect(entries.map((e) => [e.action, e.readerId, e.detail.looked_at])).toEqual([
    ['reader.lookup', reader.readerId, 'ledger'],
    ['reader.lookup', reader.readerId, 'balance'],
  ]);
});

it('an unknown or malformed reader id is a 404; a bad page is a 400; a publisher key is a 403 and leaves no trace', async () => {
  expect((await adminCall('/__paywall/api/admin/readers/r_AAAAAAAAAAAAAAAAAAAAAA', { headers: ADMIN })).status).toBe(404);
  expect((await adminCall('/__paywall/api/admin/readers/nobody/ledger', { headers: ADMIN })).status).toBe(404);
  const reader = await newReader(5000);
  const bad = await adminCall(`/__paywall/api/admin/readers/${reader.readerId}/ledger?limit=0`, { headers: ADMIN });
  expect(bad.status).toBe(400);
  expect(await bad.json()).toMatchObject({ field: 'limit' });

  const news = await createPublisher('News', ['news.test']);
  for (const path of [`/__paywall/api/admin/readers/${reader.readerId}`, `/__paywall/api/admin/readers/${reader.readerId}/ledger`]) {
    expect((await adminCall(path, { headers: keyAuth(news.apiKey) })).status, path).toBe(403);
  }
  const { entries } = await (await adminCall('/__paywall/api/admin/audit', { headers: ADMIN })).json<{ entries: { action: string }[] }>();
  expect(entries.map((e) => e.action)).toEqual(['publisher.create']);
});
