import { connect } from 'cloudflare:sockets';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_HOST, HOST, siteDoc } from '../support/paywall';
import { SECURITY_RULES, type Echo } from '../support/security';

/**
 * Raw HTTP at `wrangler dev`: request lines that `new Request()` would refuse or rewrite
 * before the Worker saw them (dot segments, absolute-form targets, odd Host headers),
 * sent over a socket exactly as an attacker would send them.
 */

let base: URL;
let token: string;

type Raw = { status: number; headers: Map<string, string>; body: string };

async function raw(text: string): Promise<Raw> {
  const socket = connect({ hostname: base.hostname, port: Number(base.port) });
  const writer = socket.writable.getWriter();
  await writer.write(new TextEncoder().encode(text));
  const reader = socket.readable.getReader();
  const decoder = new TextDecoder();
  let out = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += decoder.decode(value, { stream: true });
  }
  await socket.close();
  const [head = '', ...rest] = out.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = new Map(
    lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]),
  );
  let body = rest.join('\r\n\r\n');
  if (headers.get('transfer-encoding') === 'chunked') body = dechunk(body);
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

function dechunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

/** One request, `Connection: close`, with the reader's token when `paid`. */
function get(target: string, opts: { host?: string | null; paid?: boolean; method?: string; extra?: string } = {}): Promise<Raw> {
  const lines = [`${opts.method ?? 'GET'} ${target} HTTP/1.1`];
  if (opts.host !== null) lines.push(`Host: ${opts.host ?? HOST}`);
  lines.push('Accept: application/json', 'Connection: close');
  if (opts.paid) lines.push(`Authorization: Bearer ${token}`);
  if (opts.extra) lines.push(opts.extra);
  return raw(`${lines.join('\r\n')}\r\n\r\n`);
}

function echo(res: Raw): Echo {
  return JSON.parse(res.body) as Echo;
}

beforeAll(async () => {
  const started = await fetch(`${env.WRANGLER_LAUNCHER}/start`);
  expect(started.status).toBe(200);
  base = new URL((await started.json<{ url: string }>()).url);
  // The admin API answers only on the admin host.
  const doc = new TextEncoder().encode(JSON.stringify(siteDoc(SECURITY_RULES)));
  const put = await raw(
    `PUT /__paywall/api/admin/sites/${HOST} HTTP/1.1\r\nHost: ${ADMIN_HOST}\r\nAuthorization: Bearer test-admin-token\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${doc.byteLength}\r\nConnection: close\r\n\r\n${new TextDecoder().decode(doc)}`,
  );
  expect(put.status).toBe(200);
  // The reader is made on a site request, so the paywall resolves HOST by the Host header.
  const created = await raw(`POST /__paywall/api/readers HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  expect(created.status).toBe(201);
  token = (JSON.parse(created.body) as { token: string }).token;
  const topUp = JSON.stringify({ amountMicros: 1_000_000 });
  const topped = await raw(
    `POST /__paywall/api/dev/topup HTTP/1.1\r\nHost: ${HOST}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${topUp.length}\r\nConnection: close\r\n\r\n${topUp}`,
  );
  expect(topped.status).toBe(200);
}, 90_000);

describe('raw request lines through wrangler dev', () => {
  it('dot segments in the request line, raw or encoded, are resolved before pricing', async () => {
    for (const target of ['/free/../premium/x', '/free/%2e%2e/premium/x', '/free/.%2E/premium/x', '/./premium/./x', '/../premium/x']) {
      expect((await get(target)).status, target).toBe(402);
      const paid = await get(target, { paid: true });
      expect(paid.status, target).toBe(200);
      expect(paid.headers.get('paywall-charged-micros')).toBe('10000');
      expect(echo(paid).path).toBe('/premium/x');
    }
  });

  it('encoded separators and path parameters in the request line are refused', async () => {
    for (const target of [
      '/free/..%2fpremium/x',
      '/premium%2fx',
      '/free/..%5cpremium',
      '/premium;a/x',
      '/free/..;/premium/x',
      '/premium%00/x',
      '/free/%252e%252e/premium',
    ]) {
      const res = await get(target, { paid: true });
      expect(res.status, target).toBe(400);
    }
  });

  it('backslashes and repeated slashes in the request line are priced as slashes', async () => {
    for (const target of ['/free\\..\\premium\\x', '//premium//x', '/premium\\x']) {
      expect((await get(target)).status, target).toBe(402);
      const paid = await get(target, { paid: true });
      expect(echo(paid).path, target).toBe('/premium/x');
    }
  });

  it('an absolute-form request line is priced by the site that answers it, at its path', async () => {
    for (const target of [`http://${HOST}/premium/x`, 'http://other.test/premium/x', `http://${HOST}/free/../premium/x`]) {
      expect((await get(target)).status, target).toBe(402);
      const paid = await get(target, { paid: true });
      expect(paid.status, target).toBe(200);
      expect(echo(paid).path, target).toBe('/premium/x');
    }
    const free = await get(`http://${HOST}/free/x`);
    expect(free.status).toBe(200);
    expect(echo(free).path).toBe('/free/x');
  });

  it('request targets that are not paths are refused or read as /, never as a priced path', async () => {
    // `*` is answered by wrangler dev's own front (a 500 from miniflare's entry worker)
    // before the Worker runs; on Cloudflare's edge it never reaches a Worker either.
    for (const target of ['premium/x', '*']) {
      const res = await get(target, { paid: true });
      expect(res.status, target).toBeGreaterThanOrEqual(400);
      expect(res.headers.has('paywall-charged-micros'), target).toBe(false);
      expect(res.body, target).not.toContain('"path"');
    }
    // Authority form is read as the site's root, which is free, and that is what the origin gets.
    const authority = await get(`${HOST}:80`, { paid: true });
    expect(authority.status).toBe(200);
    expect(authority.headers.has('paywall-charged-micros')).toBe(false);
    expect(echo(authority).path).toBe('/');
  });

  it('a fragment in the request line never reaches the origin', async () => {
    const res = await get('/free/x#/../../premium/x');
    expect(res.status).toBe(200);
    expect(echo(res).path).toBe('/free/x');
  });

  it('Host games over real HTTP: upper case, a port, a trailing dot, none at all', async () => {
    for (const host of [HOST.toUpperCase(), `${HOST}:8787`, `${HOST}.`]) {
      expect((await get('/premium/x', { host })).status, host).toBe(402);
    }
    const noHost = await raw('GET /premium/x HTTP/1.0\r\nAccept: application/json\r\n\r\n');
    expect([400, 402, 404]).toContain(noHost.status);
  });

  it('method and rewrite headers sent raw never reach the origin', async () => {
    const res = await get('/free/x', {
      method: 'POST',
      extra: 'X-HTTP-Method-Override: GET\r\nX-Original-URL: /premium/x\r\nX-Rewrite-URL: /premium/x\r\nContent-Length: 0',
    });
    expect(res.status).toBe(200);
    const e = echo(res);
    expect(e.method).toBe('POST');
    expect(e.path).toBe('/free/x');
    expect(e.headers['x-http-method-override']).toBeUndefined();
    expect(e.headers['x-original-url']).toBeUndefined();
    expect(e.headers['x-rewrite-url']).toBeUndefined();
  });

  it('an unknown, lower-case or forbidden method on a priced path is never served free', async () => {
    expect((await get('/premium/x', { method: 'PROPFIND' })).status).toBe(402);
    for (const method of ['get', 'TRACE', 'CONNECT']) {
      const res = await get('/premium/x', { method });
      expect(res.status, method).toBeGreaterThanOrEqual(400);
      expect(res.body, method).not.toContain('"path"');
    }
  });
});
