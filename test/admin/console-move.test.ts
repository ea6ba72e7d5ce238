import { reset } from 'cloudflare:test';
import { afterEach, expect, it } from 'vitest';
import { ADMIN, adminCall, balanceOf, newReader } from '../support/paywall';
import { CONSOLE, page, postForm, signIn } from '../support/admin-console';
import { invite, join } from '../support/console-people';
import { createPublisher } from '../support/publishers';

afterEach(() => reset());

const KEY = '0b7a4c1e-5d2f-4a8b-9c3d-1e2f3a4b5c6d';

it("the operator moves a reader's balance from the reader page: once per form, audited with the reason", async () => {
  const from = await newReader(3_000_000);
  const to = await newReader(500_000);
  const operator = await signIn();

  const lookup = await page(`${CONSOLE}/readers?id=${from.readerId}`, operator);
  expect(lookup.status).toBe(303);
  const shown = await page(`${CONSOLE}/readers/${from.readerId}`, operator);
  expect(shown.status).toBe(200);
  expect(shown.html).toContain('$3.00');
  expect(shown.html).toContain('Move the balance to another reader');

  const fields = { toReaderId: to.readerId, reason: 'same person, two wallets', key: KEY };
  const moved = await postForm(`${CONSOLE}/readers/${from.readerId}/move`, fields, { cookie: operator });
  expect(moved.status).toBe(303);
  const after = await page(moved.headers.get('location')!, operator);
  expect(after.html).toContain(`Moved $3.00 to ${to.readerId}, whose balance is now $3.50.`);
  // The same form sent twice (a double click, a retry) moves once.
  expect((await postForm(`${CONSOLE}/readers/${from.readerId}/move`, fields, { cookie: operator })).status).toBe(303);
  expect(await balanceOf(from)).toBe(0);
  expect(await balanceOf(to)).toBe(3_500_000);

  const audit = await (await adminCall('/__paywall/api/admin/audit?limit=20', { headers: ADMIN })).json<{
    entries: { action: string; via: string; actor: unknown; detail: Record<string, unknown> | null }[];
  }>();
  const moves = audit.entries.filter((e) => e.action === 'reader.move');
  expect(moves).toHaveLength(1);
  expect(moves[0]).toMatchObject({
    via: 'console',
    actor: { type: 'operator', via: 'console' },
    detail: { toReaderId: to.readerId, movedMicros: 3_000_000, reason: 'same person, two wallets' },
  });
  expect(audit.entries.some((e) => e.action === 'reader.lookup')).toBe(true);
});

it('the move form says what is wrong, field by field, and moves nothing', async () => {
  const from = await newReader(1_000_000);
  const operator = await signIn();
  const cases: [Record<string, string>, string][] = [
    [{ toReaderId: 'nobody', reason: 'x' }, 'Type the id of the reader who receives the money'],
    [{ toReaderId: from.readerId, reason: 'x' }, 'cannot be moved to the same reader'],
    [{ toReaderId: 'r_AAAAAAAAAAAAAAAAAAAAAA', reason: 'x' }, 'No reader with the id toReaderId'],
  ];
  const other = await newReader();
  cases.push([{ toReaderId: other.readerId, reason: '' }, 'Say why']);
  for (const [fields, message] of cases) {
    const res = await postForm(`${CONSOLE}/readers/${from.readerId}/move`, fields, { cookie: operator });
    expect(res.status, message).toBe(400);
    expect(await res.text()).toContain(message);
  }
  expect(await balanceOf(from)).toBe(1_000_000);
});

it("a publisher's person has no reader pages", async () => {
  const from = await newReader(1_000_000);
  const to = await newReader();
  const news = await createPublisher('News', ['news.test']);
  const ada = await join(await invite(await signIn(), news.publisherId, 'Ada', 'owner'));
  expect((await page(`${CONSOLE}/readers/${from.readerId}`, ada.cookie!)).status).toBe(404);
  const res = await postForm(
    `${CONSOLE}/readers/${from.readerId}/move`,
    { toReaderId: to.readerId, reason: 'mine now' },
    { cookie: ada.cookie! },
  );
  expect(res.status).toBe(404);
  expect(await balanceOf(from)).toBe(1_000_000);
});
