import { reset } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, ADMIN_HOST, HOST, balanceOf, newReader, putSite, siteDoc, type Reader } from '../support/paywall';
import { expectConserved, type Echo } from '../support/security';

/**
 * Random requests at the Worker. Whatever comes back: nothing answers 5xx, nothing priced
 * is served without its charge, and the origin is only ever sent the path that was
 * priced. The oracle here is written independently of src/: it prices by hand, and it
 * reads a path the way the most lenient origin would, with every folding at once.
 */

const RULES = [
  { pattern: '/articles/:slug', priceMicros: 2500 },
  { pattern: '/premium/*', priceMicros: 10000 },
  { pattern: '/premium.html', priceMicros: 10000 },
  { pattern: '/*', priceMicros: 0 },
];

/** The rules above, by hand: ASCII case and one trailing slash ignored. */
function strictPrice(path: string): number {
  let p = path.toLowerCase();
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  if (/^\/articles\/[^/]+$/.test(p)) return 2500;
  if (p === '/premium' || p.startsWith('/premium/') || p === '/premium.html') return 10000;
  return 0;
}

/** How the most lenient origin imaginable reads a path: decoded, folded, trimmed, resolved. */
function lenientRead(path: string): string {
  let p = path;
  try {
    p = decodeURIComponent(p);
  } catch {
    /* an origin that cannot decode reads it raw */
  }
  // An origin may ignore invisible characters (default-ignorable code points) altogether.
  p = p.replace(/\p{Default_Ignorable_Code_Point}/gu, '');
  p = p.normalize('NFKD').replace(/\p{M}/gu, '').normalize('NFKC').toUpperCase().toLowerCase();
  p = p.replace(/[?#].*$/s, '').replace(/\\/g, '/');
  const out: string[] = [];
  for (let segment of p.split('/')) {
    if (!/^\.+$/.test(segment)) segment = segment.replace(/[. ]+$/, '');
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}${p.endsWith('/') && out.length ? '/' : ''}`;
}

function lenientPrice(path: string): number {
  return Math.max(strictPrice(lenientRead(path)), strictPrice(lenientRead(path.replace(/\/+$/, ''))));
}

/** Ways to write one character that some decoder or folding turns back into it. */
const LOOKALIKES: Record<string, string[]> = {
  i: ['%C4%B1', '%C3%AD', 'I', '%69', '%49', '%EF%BD%89'],
  s: ['%C5%BF', '%73', 'S', '%EF%BD%93'],
  p: ['%EF%BD%90', '%70', 'P', '%2570'],
  e: ['%C3%A9', 'e%CC%81', '%65', 'E', '%C3%8B'],
  m: ['%6D', 'M', '%EF%BD%8D'],
  '.': ['%2e', '%2E', '%EF%BC%8E', '%252e', '%C0%AE'],
  '/': ['%2f', '%2F', '\\', '%5c', '%EF%BC%8F', '%C0%AF', '//', '%252f'],
};
const WORDS = ['premium', 'premium.html', 'articles', 'hello', 'free', 'x', 'premium/x'];
const TRICKS = [
  '.',
  '..',
  '%2e%2e',
  '.%2e',
  '%2e',
  ';',
  ';x=1',
  '..;',
  '%3b',
  '%00',
  '%0a',
  '%09',
  '%20',
  '.%20',
  '%3F',
  '%3Fx',
  '%23',
  '%25',
  '%',
  '%zz',
  '%u0070',
  '%E2%80%AE',
  '~',
  ':',
  '@',
  '!',
  '*',
  "'",
  '+',
  ',',
  '=',
  '&',
  '$',
  '|',
  '?',
  '#',
  '?/../x',
];

/** A word with some of its characters written another way. */
const disguisedArb = fc.constantFrom(...WORDS).chain((word) =>
  fc.array(fc.nat(), { maxLength: 3 }).chain((positions) => {
    const chars = [...word];
    const targets = [...new Set(positions.map((n) => n % chars.length))].filter((i) => LOOKALIKES[chars[i]!]);
    return fc.tuple(...targets.map((i) => fc.constantFrom(...LOOKALIKES[chars[i]!]!))).map((subs) => {
      targets.forEach((i, k) => (chars[i] = subs[k]!));
      return chars.join('');
    });
  }),
);

/** Every default-ignorable code point: invisible, and ignored by some origins when they compare paths. */
const IGNORABLES = Array.from({ length: 0x110000 }, (_, cp) => cp)
  .filter((cp) => (cp < 0xd800 || cp > 0xdfff) && /\p{Default_Ignorable_Code_Point}/u.test(String.fromCodePoint(cp)))
  .map((cp) => String.fromCodePoint(cp));
const ignorableArb = fc.constantFrom(...IGNORABLES);
/** Any code point but a lone surrogate, raw or percent-encoded as UTF-8. */
const nonAsciiArb = fc.oneof(
  ignorableArb,
  fc
    .integer({ min: 0x80, max: 0x10ffff })
    .filter((cp) => cp < 0xd800 || cp > 0xdfff)
    .map((cp) => String.fromCodePoint(cp)),
);
const writtenArb = (ch: fc.Arbitrary<string>) => fc.tuple(ch, fc.boolean()).map(([c, encoded]) => (encoded ? encodeURIComponent(c) : c));

/** A word with invisible or other non-ASCII characters slipped in. */
const sprinkledArb = fc
  .tuple(fc.constantFrom(...WORDS), fc.array(fc.tuple(fc.nat(), writtenArb(nonAsciiArb)), { minLength: 1, maxLength: 3 }))
  .map(([word, inserts]) => {
    const chars = [...word];
    for (const [at, ch] of inserts) chars.splice(at % (chars.length + 1), 0, ch);
    return chars.join('');
  });

const segmentArb = fc.oneof(
  { weight: 2, arbitrary: sprinkledArb },
  { weight: 4, arbitrary: disguisedArb },
  { weight: 2, arbitrary: fc.tuple(disguisedArb, fc.constantFrom(...TRICKS)).map(([w, t]) => w + t) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...TRICKS), disguisedArb).map(([t, w]) => t + w) },
  { weight: 2, arbitrary: fc.constantFrom(...TRICKS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 4, unit: 'binary' }) },
);

const pathArb = fc
  .tuple(
    fc.array(fc.tuple(segmentArb, fc.constantFrom('/', '/', '/', ...LOOKALIKES['/']!)), { minLength: 1, maxLength: 5 }),
    fc.constantFrom('', '', '/', '.', '%20', '.%20.', '/.', '/..', '%3F', ';', '#x', '?q=/premium'),
  )
  .map(([segments, end]) => `/${segments.map(([segment, slash], i) => (i ? slash : '') + segment).join('')}${end}`);

const HEADER_PICKS: [string, fc.Arbitrary<string>][] = [
  ['x-original-url', fc.constantFrom('/premium/x', '/articles/a')],
  ['x-rewrite-url', fc.constantFrom('/premium/x', '/premium.html')],
  ['x-http-method-override', fc.constantFrom('GET', 'POST', 'HEAD')],
  ['x-forwarded-host', fc.constantFrom('evil.test', HOST)],
  ['x-forwarded-prefix', fc.constant('/premium')],
  ['forwarded', fc.constant('host=evil.test;proto=https')],
  ['range', fc.constantFrom('bytes=0-5', 'bytes=-1', 'bytes=0-0,5-9', 'items=1-2')],
  ['if-none-match', fc.constantFrom('*', '"v1"')],
  ['if-modified-since', fc.constant('Thu, 01 Jan 2099 00:00:00 GMT')],
  ['accept', fc.constantFrom('application/json', 'text/html', '*/*', 'application/problem+json')],
  [
    'paywall-max-price-micros',
    fc.oneof(fc.constantFrom('0', '2500', '10000', '-1', '1e9', '9007199254740993', ''), fc.string({ maxLength: 6 })),
  ],
  ['idempotency-key', fc.string({ minLength: 0, maxLength: 20 })],
  ['paywall-origin-secret', fc.constant('forged')],
  ['cookie', fc.constantFrom('paywall_token=garbage', 'a=1; paywall_token=', 'paywall_token=r_x.1.y')],
  ['content-type', fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded')],
];

const headersArb = fc
  .subarray(HEADER_PICKS, { maxLength: 5 })
  .chain((picks) => fc.tuple(...picks.map(([name, value]) => value.map((v) => [name, v] as const))))
  .map((pairs) => Object.fromEntries(pairs.filter(([, v]) => /^[\x20-\x7e]*$/.test(v))));

const viewArb = fc.record({
  path: pathArb,
  method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
  host: fc.constantFrom(HOST, HOST.toUpperCase(), `${HOST}:8443`, `${HOST}.`),
  paying: fc.boolean(),
  headers: headersArb,
  body: fc.option(fc.oneof(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 })), { nil: undefined }),
});

let reader: Reader;
let expectedBalance = 100_000_000;

beforeAll(async () => {
  expect((await putSite(siteDoc(RULES))).status).toBe(200);
  reader = await newReader(expectedBalance);
});
afterAll(() => reset());

function send(url: string, init: RequestInit): Promise<Response> | null {
  let request: Request;
  try {
    request = new Request(url, init);
  } catch {
    return null; // not a request a client could send
  }
  return exports.default.fetch(request);
}

describe('fuzz', () => {
  it('random views: no 5xx, nothing priced served free, the origin gets the priced path', async () => {
    await fc.assert(
      fc.asyncProperty(viewArb, async (v) => {
        const headers: Record<string, string> = { ...v.headers, ...(v.paying ? reader.auth : {}) };
        const withBody = v.method !== 'GET' && v.method !== 'HEAD' && v.body !== undefined;
        const url = `http://${v.host}${v.path}`;
        const pending = send(url, { method: v.method, headers, body: withBody ? v.body : null });
        if (!pending) return;
        const res = await pending;
        const charged = Number(res.headers.get('paywall-charged-micros') ?? 0);
        expect(res.status, `${v.method} ${url}`).toBeLessThan(500);
        if (v.paying) expectedBalance -= charged;
        else expect(charged).toBe(0);

        if (res.status < 200 || res.status > 299) {
          await res.body?.cancel();
          return;
        }
        if (v.method === 'HEAD') {
          // HEAD has no body to show what the origin got; it may open nothing a GET would not.
          expect(charged).toBe(0);
          const get = await send(url, { headers: v.paying ? reader.auth : {} })!;
          if (v.paying) expectedBalance -= Number(get.headers.get('paywall-charged-micros') ?? 0);
          expect(get.status).toBe(200);
          // Read to the end: a paid body given up half-way is refunded, which the balance would show.
          await get.arrayBuffer();
          return;
        }
        const echo = await res.json<Echo>();
        const received = echo.path.split('?')[0]!;
        expect(strictPrice(received), `${url} reached the origin as ${received}`).toBe(charged);
        expect(lenientPrice(received), `${url} reached the origin as ${received}`).toBeLessThanOrEqual(charged);
        expect(echo.headers['x-original-url']).toBeUndefined();
        expect(echo.headers['x-rewrite-url']).toBeUndefined();
        expect(echo.headers['x-http-method-override']).toBeUndefined();
        expect(echo.method).toBe(v.method);
      }),
      { numRuns: 600 },
    );
    expect(await balanceOf(reader)).toBe(expectedBalance);
    await expectConserved(reader, expectedBalance);
  });

  it('random rules and paths beyond ASCII, with invisible characters: nothing priced is ever served free', async () => {
    const host = 'unicode.test';
    /** A rule's first segment: letters from several scripts, sometimes an invisible character among them. */
    const ruleWordArb = fc
      .tuple(
        fc.constantFrom('café', 'straße', '新闻', 'naïve', 'ça', 'ürün', 'статья', 'خبر', 'premium', 'x'),
        fc.array(fc.tuple(fc.nat(), fc.oneof(ignorableArb, nonAsciiArb)), { maxLength: 2 }),
      )
      .map(([word, inserts]) => {
        const chars = [...word];
        for (const [at, ch] of inserts) chars.splice(at % (chars.length + 1), 0, ch);
        return chars.join('');
      })
      .filter((w) => !/[/%\\:*(){}?+#;]/.test(w) && [...w].some((ch) => !/\p{Default_Ignorable_Code_Point}/u.test(ch)));
    /** How a client might write a rule's word: encoded or raw letter by letter, ASCII case changed, invisible characters slipped in. */
    const requestFor = (word: string) =>
      fc
        .tuple(
          fc.array(fc.boolean(), { minLength: [...word].length, maxLength: [...word].length }),
          fc.array(fc.tuple(fc.nat(), writtenArb(ignorableArb)), { maxLength: 2 }),
          fc.boolean(),
          fc.constantFrom('/x', '/', '/a/b', ''),
        )
        .map(([encodeEach, inserts, upper, rest]) => {
          const chars = [...word].map((ch, i) => (encodeEach[i] ? encodeURIComponent(ch) : ch));
          for (const [at, ch] of inserts) chars.splice(at % (chars.length + 1), 0, ch);
          const written = chars.join('');
          return { path: `/${upper ? written.replace(/[a-z]/g, (c) => c.toUpperCase()) : written}${rest}`, invisible: inserts.length > 0 };
        });
    /** The oracle: a segment as an origin that ignores invisible characters and ASCII case reads it. */
    const read = (segment: string) => {
      let text = segment;
      try {
        text = decodeURIComponent(segment);
      } catch {
        /* read raw */
      }
      return text
        .replace(/\p{Default_Ignorable_Code_Point}/gu, '')
        .normalize('NFC')
        .replace(/[A-Z]/g, (c) => c.toLowerCase());
    };

    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(ruleWordArb, fc.integer({ min: 1, max: 5000 })), {
          minLength: 1,
          maxLength: 3,
          selector: ([w]) => read(w),
        }),
        fc.nat(),
        async (rules, pick) => {
          const doc = siteDoc(
            [...rules.map(([w, price]) => ({ pattern: `/${w}/*`, priceMicros: price })), { pattern: '/*', priceMicros: 0 }],
            host,
          );
          const put = await putSite(doc, host);
          if (put.status === 400) return; // a pattern URLPattern refuses: the admin is told, nothing is served
          expect(put.status).toBe(200);
          const [word, price] = rules[pick % rules.length]!;
          const priceOf = (received: string) => {
            const first = read(received.split('/')[1] ?? '');
            return rules.find(([w]) => read(w) === first)?.[1] ?? 0;
          };
          await fc.assert(
            fc.asyncProperty(requestFor(word), async ({ path, invisible }) => {
              const url = `http://${host}${path}`;
              const res = await send(url, { headers: { accept: 'application/json', ...reader.auth } });
              if (!res) return;
              const charged = Number(res.headers.get('paywall-charged-micros') ?? 0);
              expectedBalance -= charged;
              expect(res.status, url).toBeLessThan(500);
              if (invisible) expect(res.status, `${url}: an invisible character is refused`).toBe(400);
              if (res.status !== 200) {
                await res.body?.cancel();
                return;
              }
              const received = (await res.json<Echo>()).path.split('?')[0]!;
              expect(charged, `${url} reached the origin as ${received}`).toBeGreaterThanOrEqual(priceOf(received));
              expect(charged, `${url} is the rule's own path`).toBe(price);
            }),
            { numRuns: 8 },
          );
        },
      ),
      { numRuns: 40 },
    );
    expect(await balanceOf(reader)).toBe(expectedBalance);
    await expectConserved(reader, expectedBalance);
  });

  const ENDPOINTS: [string, string][] = [
    ['POST', '/__paywall/api/readers'],
    ['GET', '/__paywall/api/me'],
    ['PUT', '/__paywall/api/me/settings'],
    ['GET', '/__paywall/api/me/ledger?limit=LIMIT&before=BEFORE'],
    ['POST', '/__paywall/api/dev/topup'],
    ['POST', '/__paywall/api/topup'],
    ['GET', '/__paywall/api/admin/sites/fuzz.test'],
    ['PUT', '/__paywall/api/admin/sites/fuzz.test'],
    ['DELETE', '/__paywall/api/admin/sites/fuzz.test'],
    ['POST', '/__paywall/api/admin/readers/READER/credit'],
    ['GET', '/__paywall/api/admin/usage/fuzz.test?from=LIMIT&to=BEFORE'],
    ['POST', '/__paywall/webhooks/stripe'],
    ['GET', '/__paywall/healthz'],
    ['POST', '/__paywall/nowhere'],
  ];

  const amountArb = fc.oneof(
    fc.integer(),
    fc.double(),
    fc.constantFrom(1e400, -0, Number.MAX_SAFE_INTEGER + 2, '100', null, true, [], {}),
    fc.bigInt().map(String),
  );
  const bodyArb = fc.oneof(
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc
      .record({ amountMicros: amountArb, dailyCapMicros: amountArb, reason: fc.string() }, { requiredKeys: [] })
      .map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 100 }),
    fc.constantFrom('{', '{"amountMicros":1e400}', '{"__proto__":{"amountMicros":1}}', '[]', 'null', ''),
  );

  it('random API calls: no 5xx, every error is JSON, money conserved', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ENDPOINTS),
        fc.constantFrom('reader', 'admin', 'none', 'garbage'),
        bodyArb,
        fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-8', ''),
        fc.string({ maxLength: 12 }),
        fc.string({ maxLength: 12 }),
        async ([method, template], who, body, contentType, a, b) => {
          const path = template
            .replace('LIMIT', encodeURIComponent(a))
            .replace('BEFORE', encodeURIComponent(b))
            .replace('READER', reader.readerId);
          const headers: Record<string, string> = {};
          if (contentType) headers['content-type'] = contentType;
          if (who === 'reader') Object.assign(headers, reader.auth);
          if (who === 'admin') Object.assign(headers, ADMIN);
          if (who === 'garbage') headers.authorization = `Bearer ${'x'.repeat(40)}`;
          const host = path.startsWith('/__paywall/api/admin/') ? ADMIN_HOST : HOST;
          const res = await send(`http://${host}${path}`, { method, headers, body: method === 'GET' ? null : body })!;
          expect(res.status, `${method} ${path} ${body}`).toBeLessThan(500);
          if (res.status >= 400) {
            expect(res.headers.get('content-type')).toContain('application/json');
            const error = await res.json<{ error: unknown }>();
            expect(error.error).toBeTypeOf('string');
          } else {
            await res.arrayBuffer();
          }
        },
      ),
      { numRuns: 400 },
    );
    await expectConserved(reader);
  });
});
