import { reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOST, putSite, siteDoc } from '../support/paywall';
import { CONSOLE, inputValues, page, postForm, signIn } from '../support/admin-console';

afterEach(() => reset());

const RULES = [
  { pattern: '/premium/*', priceMicros: 10_000 },
  { pattern: '/*', priceMicros: 0 },
];
const CRAWLERS = {
  signatureAgents: { 'https://crawler.example': { action: 'charge', priceMicros: 2_500 } },
  verifiedBotCategories: { 'Search Engine Crawler': { action: 'allow' } },
  unidentified: { action: 'block' },
};
const editor = `${CONSOLE}/sites/${HOST}`;
let cookie: string;

beforeEach(async () => {
  expect((await putSite({ ...siteDoc(RULES), crawlers: CRAWLERS })).status).toBe(200);
  cookie = await signIn();
});

type CrawlerRow = { who: string; name?: string; action: string; price?: string; unit?: string };

function form(crawlers: CrawlerRow[]): [string, string][] {
  const fields: [string, string][] = [
    ['action', 'save'],
    ['origin', env.TEST_ORIGIN],
  ];
  fields.push(['pattern', '/premium/*'], ['price', '0.01'], ['unit', 'usd'], ['window', ''], ['windowUnit', 'hours']);
  fields.push(['pattern', '/*'], ['price', '0'], ['unit', 'usd'], ['window', ''], ['windowUnit', 'hours']);
  for (const c of crawlers) {
    fields.push(
      ['crawlerWho', c.who],
      ['crawlerName', c.name ?? ''],
      ['crawlerAction', c.action],
      ['crawlerPrice', c.price ?? ''],
      ['crawlerUnit', c.unit ?? 'usd'],
    );
  }
  return fields;
}

const stored = async () => JSON.parse((await env.KV.get(`site:${HOST}`))!);

describe('the console’s crawler policy', () => {
  it('shows the stored policy, one row per crawler, with blank rows to add one', async () => {
    const { status, html } = await page(editor, cookie);
    expect(status).toBe(200);
    expect(inputValues(html, 'crawlerName')).toEqual(['https://crawler.example', 'Search Engine Crawler', '', '', '']);
    expect(inputValues(html, 'crawlerPrice')).toEqual(['0.0025', '', '', '', '']);
  });

  it('saving the page keeps the policy as it was; a changed row is saved as the document’s crawlers', async () => {
    const same = [
      { who: 'agent', name: 'https://crawler.example', action: 'charge', price: '0.0025' },
      { who: 'category', name: 'Search Engine Crawler', action: 'allow' },
      { who: 'unidentified', action: 'block' },
      { who: 'agent', action: '' },
    ];
    expect((await postForm(editor, form(same), { cookie })).status).toBe(303);
    expect((await stored()).crawlers).toEqual(CRAWLERS);

    const changed = [
      { who: 'signed', action: 'charge', price: '0.5', unit: 'cents' },
      { who: 'verified', action: 'allow' },
    ];
    expect((await postForm(editor, form(changed), { cookie })).status).toBe(303);
    expect((await stored()).crawlers).toEqual({ signed: { action: 'charge', priceMicros: 5_000 }, verifiedBots: { action: 'allow' } });

    expect((await postForm(editor, form([]), { cookie })).status).toBe(303);
    expect((await stored()).crawlers).toBeUndefined();
  });

  it('a row it cannot save is shown with its problem, and nothing is saved', async () => {
    const bad = [
      { who: 'agent', name: '', action: 'allow' },
      { who: 'unidentified', action: 'charge', price: 'lots' },
      { who: 'agent', name: 'not a url', action: 'block' },
    ];
    const res = await postForm(editor, form(bad), { cookie });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('Crawler row 1');
    expect(html).toContain('needs a name');
    expect(html).toContain('Crawler price must be a number');
    expect(html).toContain('crawlers.signatureAgents');
    expect((await stored()).crawlers).toEqual(CRAWLERS);
  });
});
