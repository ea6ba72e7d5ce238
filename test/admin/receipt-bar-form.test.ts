import { reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { HOST, putSite, siteDoc } from '../support/paywall';
import { CONSOLE, page, postForm, signIn } from '../support/admin-console';

/** The console's site editor sets the site's receiptBar (issue 16) with one checkbox. */

afterEach(() => reset());

const RULES = [
  { pattern: '/premium/*', priceMicros: 10_000 },
  { pattern: '/*', priceMicros: 0 },
];
const editor = `${CONSOLE}/sites/${HOST}`;
let cookie: string;

beforeEach(async () => {
  expect((await putSite(siteDoc(RULES))).status).toBe(200);
  cookie = await signIn();
});

function form(action: string, extra: [string, string][] = []): [string, string][] {
  return [
    ['action', action],
    ['origin', env.TEST_ORIGIN],
    ['pattern', '/premium/*'],
    ['price', '0.01'],
    ['unit', 'usd'],
    ['window', ''],
    ['windowUnit', 'hours'],
    ['pattern', '/*'],
    ['price', '0'],
    ['unit', 'usd'],
    ['window', ''],
    ['windowUnit', 'hours'],
    ...extra,
  ];
}

const stored = async () => JSON.parse((await env.KV.get(`site:${HOST}`))!);
const checkbox = (html: string) => /<input type="checkbox" id="receiptBar"[^>]*>/.exec(html)?.[0] ?? '';

it('shows the setting, saves it ticked as receiptBar: true, and unticked leaves the field out', async () => {
  const before = await page(editor, cookie);
  expect(before.html).toContain('Show readers a receipt at the top of each paid page');
  expect(checkbox(before.html)).not.toContain('checked');

  expect((await postForm(editor, form('save', [['receiptBar', 'on']]), { cookie })).status).toBe(303);
  expect(await stored()).toEqual({ ...siteDoc(RULES), receiptBar: true });
  expect(checkbox((await page(editor, cookie)).html)).toContain('checked');

  // A row action keeps the box as it was posted, without saving.
  const added = await postForm(editor, form('add', [['receiptBar', 'on']]), { cookie });
  expect(checkbox(await added.text())).toContain('checked');

  expect((await postForm(editor, form('save'), { cookie })).status).toBe(303);
  expect(await stored()).toEqual(siteDoc(RULES));
  expect(checkbox((await page(editor, cookie)).html)).not.toContain('checked');
});

it('the admin API refuses a receiptBar that is not a boolean, at its path', async () => {
  const res = await putSite({ ...siteDoc(RULES), receiptBar: 'yes' });
  expect(res.status).toBe(400);
  expect(JSON.stringify(await res.json())).toContain('receiptBar');
});
