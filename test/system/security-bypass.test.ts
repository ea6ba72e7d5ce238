import { reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, expectedOriginSecret, HOST, newReader, putSite, siteDoc, view, type Reader } from '../support/paywall';
import { chargedOf, echoOf, expectConserved, expectError, pathOf, useSecuritySite } from '../support/security';

/**
 * Priced content is never served free, whatever the request looks like. The test origin
 * is as lenient as a real one could be: it serves whatever path it is sent and echoes it,
 * so each test checks that the path the origin received is the path that was priced.
 */

let reader: Reader;
const START = 10_000_000;

beforeEach(async () => {
  await useSecuritySite();
  reader = await newReader(START);
});
afterEach(async () => {
  await expectConserved(reader);
  await reset();
});

type Attempt = { method?: string; headers?: Record<string, string>; host?: string; body?: string };

function attempt(path: string, who: Reader | null, a: Attempt = {}): Promise<Response> {
  const headers = { accept: 'application/json', ...(who?.auth ?? {}), ...(a.headers ?? {}) };
  return call(path, { method: a.method ?? 'GET', headers, body: a.body ?? null }, a.host ?? HOST);
}

/** Unpaid: a 402 at `price`. Paid: charged `price`, and the origin received exactly `received`. */
async function expectPriced(path: string, received: string, price: number, a: Attempt = {}) {
  const unpaid = await attempt(path, null, a);
  expect(unpaid.status, `${path} without a reader`).toBe(402);
  expect(unpaid.headers.get('paywall-price-micros')).toBe(String(price));
  await unpaid.body?.cancel();

  const paid = await attempt(path, reader, a);
  expect(paid.status, `${path} with a reader`).toBe(200);
  expect(chargedOf(paid)).toBe(price);
  const echo = await echoOf(paid);
  expect(pathOf(echo)).toBe(received);
  return echo;
}

/** Refused before any money moves or the origin is asked. */
async function expectRefused(path: string, a: Attempt = {}) {
  for (const who of [null, reader]) {
    const res = await attempt(path, who, a);
    await expectError(res, 400, 'invalid_path');
  }
}

/** Free, and the origin received exactly `received` (which is free too). */
async function expectFree(path: string, received: string, a: Attempt = {}) {
  const res = await attempt(path, null, a);
  expect(res.status, path).toBe(200);
  expect(res.headers.get('paywall-charged-micros')).toBeNull();
  expect(pathOf(await echoOf(res))).toBe(received);
}

describe('percent-encoding', () => {
  it('encoded letters are priced as the letters they encode', async () => {
    await expectPriced('/%70remium/x', '/premium/x', 10000);
    await expectPriced('/%50REMIUM/%78', '/PREMIUM/x', 10000);
    await expectPriced('/articles/%68ello', '/articles/hello', 2500);
  });

  it('an encoded slash or backslash is refused', async () => {
    await expectRefused('/premium%2Fx');
    await expectRefused('/free/..%2fpremium/x');
    await expectRefused('/free%2F..%2Fpremium%2Fx');
    await expectRefused('/premium%5Cx');
    await expectRefused('/free/..%5cpremium/x');
  });

  it('double encoding is refused', async () => {
    await expectRefused('/%2570remium/x');
    await expectRefused('/free/%252e%252e/premium/x');
    await expectRefused('/free/%252e%252e%252fpremium/x');
    await expectRefused('/premium%252Fx');
  });

  it('overlong UTF-8, lone surrogates, control characters and malformed escapes are refused', async () => {
    await expectRefused('/free/%C0%AE%C0%AE/premium/x');
    await expectRefused('/free%C0%AFpremium');
    await expectRefused('/free/%ED%A0%80');
    await expectRefused('/premium%00/x');
    await expectRefused('/premium%0a/x');
    await expectRefused('/free%zz');
    await expectRefused('/free/%u002e%u002e/premium/x');
    await expectRefused('/free/%');
  });

  it('an encoded ? or # that an origin decoding first would read as the end of a priced path is refused', async () => {
    await expectRefused('/premium%3F');
    await expectRefused('/premium%3Fx=1');
    await expectRefused('/premium.html%23top');
    await expectFree('/free%3Fx', '/free%3Fx');
  });
});

describe('dot segments', () => {
  it('raw dot segments are resolved before pricing', async () => {
    await expectPriced('/free/../premium/x', '/premium/x', 10000);
    await expectPriced('/free/./../premium/./x', '/premium/x', 10000);
    await expectPriced('/../../premium/x', '/premium/x', 10000);
  });

  it('encoded dot segments are resolved before pricing', async () => {
    await expectPriced('/free/%2e%2e/premium/x', '/premium/x', 10000);
    await expectPriced('/free/%2E%2e/premium/x', '/premium/x', 10000);
    await expectPriced('/free/.%2e/premium/x', '/premium/x', 10000);
    await expectPriced('/free/%2e/%2e%2e/premium/x', '/premium/x', 10000);
  });

  it('a segment that a dot segment removes is gone before pricing, whatever it held', async () => {
    await expectPriced('/free/x%00/../../premium/x', '/premium/x', 10000);
    await expectPriced('/free/%2F/../../premium/x', '/premium/x', 10000);
  });

  it('a dot segment that climbs out of a priced path reaches the origin as the free path it names', async () => {
    await expectFree('/premium/%2e%2e/free', '/free');
    await expectFree('/premium/x/../../free', '/free');
  });

  it('dot segments an origin would find only after folding Unicode are refused', async () => {
    await expectRefused('/free/%EF%BC%8E%EF%BC%8E/premium/x'); // fullwidth full stops
    await expectRefused('/free/%EF%BC%8E%EF%BC%8E%EF%BC%8Fpremium%EF%BC%8Fx'); // and fullwidth solidus
  });
});

describe('slashes', () => {
  it('repeated slashes are collapsed before pricing, and the origin gets the collapsed path', async () => {
    await expectPriced('//premium//x', '/premium/x', 10000);
    await expectPriced('/premium///x', '/premium/x', 10000);
    await expectFree('/free//../premium/x', '/free/premium/x');
  });

  it('backslashes are read as slashes before pricing', async () => {
    await expectPriced('/premium\\x', '/premium/x', 10000);
    await expectPriced('/free\\..\\premium\\x', '/premium/x', 10000);
  });

  it('a trailing slash, or none, does not change the price', async () => {
    await expectPriced('/premium/x/', '/premium/x/', 10000);
    await expectPriced('/premium/', '/premium/', 10000);
    await expectPriced('/premium', '/premium', 10000);
    await expectPriced('/articles/trailing/', '/articles/trailing/', 2500);
    await expectPriced('/premium.html/', '/premium.html/', 10000);
  });
});

describe('case', () => {
  it('ASCII case does not change the price, and the origin gets the case that was sent', async () => {
    await expectPriced('/PREMIUM/X', '/PREMIUM/X', 10000);
    await expectPriced('/Premium/x', '/Premium/x', 10000);
    await expectPriced('/ARTICLES/Upper', '/ARTICLES/Upper', 2500);
    await expectPriced('/PREMIUM.HTML', '/PREMIUM.HTML', 10000);
  });

  it('Unicode that an origin could fold into a priced path is refused', async () => {
    await expectRefused('/prem%C4%B1um/x'); // dotless ı, which upper-cases to I
    await expectRefused('/article%C5%BF/hello'); // long ſ, which folds to s
    await expectRefused('/%EF%BD%90remium/x'); // fullwidth ｐ
    await expectRefused('/pr%C3%A9mium/x'); // é, which an accent-insensitive collation reads as e
    await expectRefused('/pre%CC%81mium/x'); // e and a combining accent
    await expectRefused('/art%C4%B1cl%C3%A9s/paid'); // two foldings at once: ı and é
  });

  it('Unicode paths that no reading prices higher are served as they are', async () => {
    await expectFree('/caf%C3%A9', '/caf%C3%A9');
    await expectPriced('/articles/caf%C3%A9', '/articles/caf%C3%A9', 2500);
    await expectFree('/%E6%96%B0%E9%97%BB', '/%E6%96%B0%E9%97%BB');
  });
});

describe('segment endings an origin may drop', () => {
  it('trailing dots and spaces that Windows drops are refused where they hide a priced path', async () => {
    await expectRefused('/premium.html.');
    await expectRefused('/premium.html%20');
    await expectRefused('/premium.html.%20.');
    await expectRefused('/premium.');
    await expectRefused('/%20/premium'); // a segment of spaces, dropped, then the slashes collapsed
    await expectRefused('/premium.html/%20');
  });

  it('a trailing dot on a path priced the same either way is charged as usual', async () => {
    await expectPriced('/articles/u.s.', '/articles/u.s.', 2500);
  });
});

describe('path parameters', () => {
  it('a ; anywhere in the path is refused', async () => {
    await expectRefused('/premium;x/y');
    await expectRefused('/premium/x;jsessionid=1');
    await expectRefused('/free/..;/premium/x');
    await expectRefused('/free;/x');
  });

  it('a ; segment that a dot segment removes is gone before pricing', async () => {
    await expectPriced('/free;/../premium/x', '/premium/x', 10000);
  });
});

describe('methods', () => {
  it('every method that carries content is priced', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND']) {
      const echo = await expectPriced('/premium/m', '/premium/m', 10000, { method, body: method === 'OPTIONS' ? undefined : 'x' });
      expect(echo.method).toBe(method);
    }
  });

  it('HEAD never charges, and answers 200 only inside a re-view window', async () => {
    const before = await call('/__paywall/api/me', { headers: reader.auth }).then((r) => r.json<{ balanceMicros: number }>());
    const head = await attempt('/premium/h', reader, { method: 'HEAD' });
    expect(head.status).toBe(402);
    expect(await head.text()).toBe('');
    const headArticle = await attempt('/articles/head', reader, { method: 'HEAD' });
    expect(headArticle.status).toBe(402);
    const after = await call('/__paywall/api/me', { headers: reader.auth }).then((r) => r.json<{ balanceMicros: number }>());
    expect(after.balanceMicros).toBe(before.balanceMicros);

    expect((await view('/articles/head', reader)).status).toBe(200);
    const inWindow = await attempt('/articles/head', reader, { method: 'HEAD' });
    expect(inWindow.status).toBe(200);
    expect(await inWindow.text()).toBe('');
  });

  it('method-override headers never reach the origin', async () => {
    const overrides = { 'x-http-method-override': 'GET', 'x-http-method': 'GET', 'x-method-override': 'GET' };
    const head = await attempt('/premium/o', reader, { method: 'HEAD', headers: overrides });
    expect(head.status).toBe(402);
    const res = await attempt('/free/o', null, { method: 'POST', headers: overrides, body: '_method=GET' });
    const echo = await echoOf(res);
    expect(echo.method).toBe('POST');
    for (const name of Object.keys(overrides)) expect(echo.headers[name]).toBeUndefined();
  });
});

describe('headers some proxies honour', () => {
  it('rewrite headers that would name a priced path never reach the origin', async () => {
    const rewrites = {
      'x-original-url': '/premium/x',
      'x-rewrite-url': '/premium/x',
      'x-original-uri': '/premium/x',
      'x-forwarded-path': '/premium/x',
      'x-forwarded-uri': '/premium/x',
      'x-forwarded-prefix': '/premium',
      'x-envoy-original-path': '/premium/x',
    };
    const res = await attempt('/free/x', null, { headers: rewrites });
    expect(res.status).toBe(200);
    const echo = await echoOf(res);
    expect(pathOf(echo)).toBe('/free/x');
    for (const name of Object.keys(rewrites)) expect(echo.headers[name], name).toBeUndefined();
  });

  it("the client's forwarding headers are replaced by the paywall's own", async () => {
    const res = await attempt('/free/x', null, {
      headers: {
        'x-forwarded-host': 'premium.other.example',
        'x-forwarded-proto': 'gopher',
        'x-forwarded-for': '6.6.6.6',
        'x-forwarded-server': 'premium.other.example',
        forwarded: 'host=premium.other.example;proto=https',
        'cf-connecting-ip': '203.0.113.9',
      },
    });
    const echo = await echoOf(res);
    expect(echo.headers['x-forwarded-host']).toBe(HOST);
    expect(echo.headers['x-forwarded-proto']).toBe('http');
    expect(echo.headers['x-forwarded-for']).toBe('203.0.113.9');
    expect(echo.headers['x-forwarded-server']).toBeUndefined();
    expect(echo.headers.forwarded).toBeUndefined();
  });

  it("the paywall's own headers cannot be forged by the client", async () => {
    const res = await attempt('/premium/f', reader, {
      headers: {
        'paywall-origin-secret': 'forged',
        'paywall-reader': 'r_forged',
        'paywall-charged-micros': '0',
        'paywall-receipt': 'forged',
      },
    });
    const echo = await echoOf(res);
    expect(echo.headers['paywall-origin-secret']).toBe(await expectedOriginSecret());
    expect(echo.headers['paywall-reader']).toBeUndefined();
    expect(echo.headers['paywall-charged-micros']).toBeUndefined();
    expect(echo.headers['paywall-receipt']).toBeUndefined();
  });

  it("the reader's credentials never reach the origin, and other cookies do", async () => {
    const res = await attempt('/premium/c', null, {
      headers: { cookie: `a=1; paywall_token=${reader.token}; b=2`, authorization: reader.auth.authorization },
    });
    expect(res.status).toBe(200);
    const echo = await echoOf(res);
    expect(echo.headers.authorization).toBeUndefined();
    expect(echo.headers.cookie).toBe('a=1; b=2');
    expect(JSON.stringify(echo)).not.toContain(reader.token);
  });
});

describe('request URLs', () => {
  it('the query string never changes the price', async () => {
    await expectPriced('/premium/q?/free', '/premium/q', 10000);
    await expectPriced('/premium/q?a=/../../free', '/premium/q', 10000);
    await expectFree('/free/q?path=/premium/x&url=/premium/x', '/free/q');
  });

  it('a fragment never reaches the Worker or the origin', async () => {
    await expectFree('/free/x#/../../premium/x', '/free/x');
  });

  it('a path too long to price safely is refused', async () => {
    await expectRefused(`/free/${'a'.repeat(2100)}`);
  });
});

describe('range and conditional requests', () => {
  it('a Range request is priced like any other and never answered free', async () => {
    await expectPriced('/premium/r', '/premium/r', 10000, { headers: { range: 'bytes=0-10' } });
    const unpaid = await attempt('/premium/r', null, { headers: { range: 'bytes=0-0', 'if-range': '"x"' } });
    expect(unpaid.status).toBe(402);
  });

  it('a conditional request without payment is a 402, never a 304 from the origin', async () => {
    const conditions: Record<string, string>[] = [{ 'if-none-match': '*' }, { 'if-modified-since': 'Thu, 01 Jan 2099 00:00:00 GMT' }];
    for (const headers of conditions) {
      const res = await attempt('/premium/c', null, { headers });
      expect(res.status).toBe(402);
    }
  });
});

describe('hosts', () => {
  it('a Host with a port, in upper case or with a trailing dot is priced as the site', async () => {
    for (const host of [`${HOST}:8443`, HOST.toUpperCase(), `${HOST}.`, `${HOST}.:8443`]) {
      const echo = await expectPriced('/premium/h', '/premium/h', 10000, { host });
      expect(echo.headers['x-forwarded-host']).toBe(host.toLowerCase().replace('.:', ':').replace(/\.$/, ''));
    }
  });

  it('an unknown host is a 404 and never reaches an origin', async () => {
    await expectError(await attempt('/premium/x', reader, { host: 'unknown.test' }), 404, 'unknown_site');
    await expectError(await attempt('/free/x', null, { host: 'unknown.test' }), 404, 'unknown_site');
  });

  it("with DEFAULT_SITE, an unknown host is priced by the default site's rules and the origin is told that site", async () => {
    const previous = env.DEFAULT_SITE;
    env.DEFAULT_SITE = HOST;
    try {
      const echo = await expectPriced('/premium/d', '/premium/d', 10000, { host: 'other-tenant.test' });
      expect(echo.headers['x-forwarded-host']).toBe(HOST);
      await expectPriced('/premium/d', '/premium/d', 10000, { host: '127.0.0.1:8787' });
    } finally {
      env.DEFAULT_SITE = previous;
    }
  });

  it("a host's own site wins over DEFAULT_SITE", async () => {
    const previous = env.DEFAULT_SITE;
    expect((await putSite(siteDoc([{ pattern: '/*', priceMicros: 0 }], 'free.test'), 'free.test')).status).toBe(200);
    env.DEFAULT_SITE = 'free.test';
    try {
      await expectPriced('/premium/w', '/premium/w', 10000);
      await expectFree('/premium/w', '/premium/w', { host: 'other.test' });
    } finally {
      env.DEFAULT_SITE = previous;
    }
  });
});

it('after every trick above, the reader paid exactly for what the origin delivered', async () => {
  const res = await view('/premium/final', reader);
  expect(chargedOf(res)).toBe(10000);
  await expectConserved(reader, START - 10000);
});
