import { reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, HOST, adminCall, newReader, putSite, siteDoc, view } from '../support/paywall';
import { CONSOLE, inputValues, page, postForm, signIn, textOf } from '../support/admin-console';

afterEach(() => reset());

const RULES = [
  { pattern: '/articles/:slug', priceMicros: 2500, reviewWindowSeconds: 86_400 },
  { pattern: '/premium/*', priceMicros: 10_000 },
  { pattern: '/*', priceMicros: 0 },
];
const editor = `${CONSOLE}/sites/${HOST}`;
let cookie: string;

beforeEach(async () => {
  expect((await putSite(siteDoc(RULES))).status).toBe(200);
  cookie = await signIn();
});

type Row = { pattern: string; price: string; unit?: string; window?: string; windowUnit?: string };

/** The editor's form as the browser posts it: repeated fields in row order. */
function form(action: string, rows: Row[], extra: Record<string, string> = {}, origin = env.TEST_ORIGIN): [string, string][] {
  const fields: [string, string][] = [
    ['action', action],
    ['origin', origin],
  ];
  for (const r of rows) {
    fields.push(
      ['pattern', r.pattern],
      ['price', r.price],
      ['unit', r.unit ?? 'usd'],
      ['window', r.window ?? ''],
      ['windowUnit', r.windowUnit ?? 'hours'],
    );
  }
  return [...fields, ...Object.entries(extra)];
}

const CURRENT: Row[] = [
  { pattern: '/articles/:slug', price: '0.0025', window: '1', windowUnit: 'days' },
  { pattern: '/premium/*', price: '0.01' },
  { pattern: '/*', price: '0' },
];

async function stored() {
  return JSON.parse((await env.KV.get(`site:${HOST}`))!);
}

async function auditCount() {
  const res = await adminCall('/__paywall/api/admin/audit?limit=100', { headers: ADMIN });
  return (await res.json<{ entries: unknown[] }>()).entries.length;
}

describe('sites list', () => {
  it('lists the sites in KV, including one written straight to KV', async () => {
    await env.KV.put('site:direct.test', JSON.stringify(siteDoc([], 'direct.test')));
    const { status, html } = await page(CONSOLE, cookie);
    expect(status).toBe(200);
    expect(html).toContain(`href="/__paywall/admin/sites/${HOST}"`);
    expect(html).toContain('href="/__paywall/admin/sites/direct.test"');
    expect(html).not.toContain('site-lastgood');
  });

  it('opens a site by host, and says plainly when the host is not one', async () => {
    const ok = await adminCall(`${CONSOLE}/sites?host=News.Test`, { headers: { cookie }, redirect: 'manual' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe(editor);
    const bad = await page(`${CONSOLE}/sites?host=${encodeURIComponent('not a host!')}`, cookie);
    expect(bad.status).toBe(400);
    expect(textOf(bad.html, 'host-error')).toContain('lower-case host name');
  });
});

describe('site editor', () => {
  it('shows the rules with prices in dollars, exactly, and the window in days', async () => {
    const { html } = await page(editor, cookie);
    expect(inputValues(html, 'pattern')).toEqual(['/articles/:slug', '/premium/*', '/*']);
    expect(inputValues(html, 'price')).toEqual(['0.0025', '0.01', '0']);
    expect(inputValues(html, 'window')).toEqual(['1', '', '']);
    expect(html).toContain('2,500 micros');
  });

  it('saves a price typed in dollars or cents as micros, in force for the next view, and audited as the console', async () => {
    const rows = [{ ...CURRENT[0]!, price: '0.003' }, { ...CURRENT[1]!, price: '0.5', unit: 'cents' }, CURRENT[2]!];
    const res = await postForm(editor, form('save', rows), { cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${editor}?saved=1`);
    expect(await stored()).toEqual(
      siteDoc([
        { pattern: '/articles/:slug', priceMicros: 3000, reviewWindowSeconds: 86_400 },
        { pattern: '/premium/*', priceMicros: 5000 },
        { pattern: '/*', priceMicros: 0 },
      ]),
    );
    const reader = await newReader(100_000);
    const charged = await view('/articles/new-price', reader);
    expect(charged.status).toBe(200);
    expect(charged.headers.get('paywall-charged-micros')).toBe('3000');
    await charged.text();
    const audit = await (await adminCall('/__paywall/api/admin/audit', { headers: ADMIN })).json<{
      entries: { via: string; before: unknown }[];
    }>();
    expect(audit.entries[0]).toMatchObject({ via: 'console', before: siteDoc(RULES) });
    const { html } = await page(`${editor}?saved=1`, cookie);
    expect(html).toContain('data-testid="saved"');
  });

  it('shows every issue beside its field and writes nothing until the whole document is valid', async () => {
    const rows = [
      { pattern: 'articles/:slug', price: '0.0000001' },
      { pattern: '/premium/*', price: 'ten', window: '1.5', windowUnit: 'hours' },
      { pattern: '/ok', price: '0.001' },
    ];
    const res = await postForm(editor, form('save', rows, {}, 'ftp://origin.test'), { cookie });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(textOf(html, 'err-origin')).toMatch(/http: or https:/);
    expect(textOf(html, 'err-pattern-0')).toMatch(/must start with \//);
    expect(textOf(html, 'err-price-0')).toMatch(/more than 6 decimals/);
    expect(textOf(html, 'err-price-1')).toMatch(/must be a number of US dollars/);
    expect(textOf(html, 'err-window-1')).toMatch(/whole number of hours/);
    expect(textOf(html, 'err-pattern-2')).toBeNull();
    expect(html).toContain('5 problems: nothing was saved.');
    expect(html).toMatch(/id="price-0"[^>]*aria-invalid="true"/);
    // What the admin typed is kept, so nothing is lost by a mistake.
    expect(inputValues(html, 'price')).toEqual(['0.0000001', 'ten', '0.001']);
    expect(await stored()).toEqual(siteDoc(RULES));
    expect(await auditCount()).toBe(1);
  });

  it('adds, removes and moves rows as plain form posts, without saving', async () => {
    const added = await postForm(editor, form('add', CURRENT), { cookie });
    expect(inputValues(await added.text(), 'pattern')).toEqual(['/articles/:slug', '/premium/*', '/*', '']);
    const removed = await postForm(editor, form('remove:1', CURRENT), { cookie });
    expect(inputValues(await removed.text(), 'pattern')).toEqual(['/articles/:slug', '/*']);
    const up = await postForm(editor, form('up:1', CURRENT), { cookie });
    const upHtml = await up.text();
    expect(inputValues(upHtml, 'pattern')).toEqual(['/premium/*', '/articles/:slug', '/*']);
    expect(inputValues(upHtml, 'price')).toEqual(['0.01', '0.0025', '0']);
    const down = await postForm(editor, form('down:0', CURRENT), { cookie });
    expect(inputValues(await down.text(), 'pattern')).toEqual(['/premium/*', '/articles/:slug', '/*']);
    const ignored = await postForm(editor, form('down:2', CURRENT), { cookie });
    expect(inputValues(await ignored.text(), 'pattern')).toEqual(['/articles/:slug', '/premium/*', '/*']);
    expect(await stored()).toEqual(siteDoc(RULES));
  });

  it('previews which rule a path meets and its price, with the paywall’s own normalisation and matcher, without saving', async () => {
    const preview = async (path: string, rows = CURRENT) => {
      const res = await postForm(editor, form('preview', rows, { previewPath: path }), { cookie });
      expect(res.status).toBe(200);
      const html = await res.text();
      return /data-testid="preview-result"[^>]*>([^<]*)</.exec(html)?.[1] ?? '';
    };
    expect(await preview('/Articles/Hello/')).toBe(
      '/Articles/Hello/: rule 1 (/articles/:slug) matches, price $0.0025 (2,500 micros); re-views within 1 day are free.',
    );
    expect(await preview('/news/../premium//report')).toContain(
      '/premium/report: rule 2 (/premium/*) matches, price $0.01 (10,000 micros); every view is charged.',
    );
    expect(await preview('/about')).toContain('rule 3 (/*) matches, price $0.00 (0 micros), free');
    expect(await preview('/about', CURRENT.slice(0, 2))).toBe('/about: no rule matches, so it is free.');
    expect(await preview('/premium;x/a')).toContain('cannot be served safely');
    expect(await preview('/premium/a', [{ pattern: '/premium/*', price: '1.1234567' }])).toContain('Fix the issues above first');
    // The preview uses the rules in the form, saved or not.
    expect(await preview('/premium/a', [{ pattern: '/premium/*', price: '0.02' }])).toContain('price $0.02');
    expect(await stored()).toEqual(siteDoc(RULES));
  });

  it('keeps every rule of a large site through a save', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => ({ pattern: `/s${i}/*`, price: String(i), unit: 'cents' }));
    const res = await postForm(editor, form('save', rows), { cookie });
    expect(res.status).toBe(303);
    const saved = await stored();
    expect(saved.rules).toHaveLength(2500);
    expect(saved.rules[2499]).toEqual({ pattern: '/s2499/*', priceMicros: 24_990_000 });
  });

  it('creates a site that has no document yet', async () => {
    const host = 'new.test';
    const { status, html } = await page(`${CONSOLE}/sites/${host}`, cookie);
    expect(status).toBe(200);
    expect(html).toContain('has no document yet');
    expect(inputValues(html, 'pattern')).toEqual(['/*']);
    const res = await postForm(`${CONSOLE}/sites/${host}`, form('save', [{ pattern: '/paid/*', price: '1', unit: 'cents' }]), { cookie });
    expect(res.status).toBe(303);
    expect(JSON.parse((await env.KV.get(`site:${host}`))!)).toEqual(siteDoc([{ pattern: '/paid/*', priceMicros: 10_000 }], host));
  });

  it('says when the document in KV is broken, and saving the form replaces it', async () => {
    await env.KV.put(`site:${HOST}`, '{"host":"news.test","rules":"oops"');
    const { html } = await page(editor, cookie);
    expect(html).toContain('The document in KV is not valid');
    const res = await postForm(editor, form('save', CURRENT), { cookie });
    expect(res.status).toBe(303);
    expect(await stored()).toEqual(siteDoc(RULES));
  });
});
