import { reset } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { balanceOf, call, ledgerOf, newReader, readToEnd, useStandardSite } from '../support/paywall';

afterEach(() => reset());
beforeEach(() => useStandardSite());

const AGENT = 'https://agent.example';
const get = async (path: string, headers: Record<string, string>) =>
  readToEnd(await call(path, { headers: { origin: AGENT, accept: 'application/json', ...headers } }));

describe('CORS for browser agents', () => {
  it('a preflight on a priced path is answered by the Worker itself (204, empty): the protocol headers allowed, nothing charged', async () => {
    const reader = await newReader(50_000);
    const res = await call('/premium/x', {
      method: 'OPTIONS',
      headers: {
        origin: AGENT,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'payment-signature,access-control-expose-headers',
        ...reader.auth,
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const allowed = res.headers.get('access-control-allow-headers')!.toLowerCase();
    for (const h of [
      'payment-signature',
      'authorization',
      'paywall-max-price-micros',
      'crawler-max-price',
      'access-control-expose-headers',
      'signature-input',
    ]) {
      expect(allowed).toContain(h);
    }
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(await res.text()).toBe('');
    expect(await balanceOf(reader)).toBe(50_000);
    expect((await ledgerOf(reader)).filter((e) => e.type === 'charge')).toEqual([]);
  });

  it('a 402 and a paid answer expose the protocol headers to any origin, without credentials', async () => {
    const unpaid = await get('/premium/x', {});
    expect(unpaid.status).toBe(402);
    expect(unpaid.headers.get('access-control-allow-origin')).toBe('*');
    const exposed = unpaid.headers.get('access-control-expose-headers')!.toLowerCase();
    for (const h of ['payment-required', 'payment-response', 'paywall-price-micros', 'paywall-receipt', 'crawler-price', 'crawler-charged'])
      expect(exposed).toContain(h);

    const reader = await newReader(50_000);
    const paid = await get('/premium/x', reader.auth);
    expect(paid.status).toBe(200);
    expect(paid.headers.get('access-control-allow-origin')).toBe('*');
    expect(paid.headers.get('access-control-allow-credentials')).toBeNull();
    expect(await balanceOf(reader)).toBe(40_000);
  });

  it('the price manifest is readable cross-origin, and its preflight answered', async () => {
    const manifest = await get('/.well-known/paywall.json', {});
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get('access-control-allow-origin')).toBe('*');
    const pre = await call('/.well-known/paywall.json', {
      method: 'OPTIONS',
      headers: { origin: AGENT, 'access-control-request-method': 'GET' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
  });

  it("a reader's cookie is never used by another origin's request: a 402, nothing charged; a navigation still pays", async () => {
    const reader = await newReader(50_000);
    const cookie = `paywall_token=${reader.token}`;
    const attempts: Record<string, string>[] = [
      { cookie },
      { cookie, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' },
      { cookie, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors' },
    ];
    for (const headers of attempts) {
      const res = await get('/premium/x', headers);
      expect(res.status, JSON.stringify(headers)).toBe(402);
      expect(await res.json()).toMatchObject({ error: 'payment_required', balanceMicros: null });
    }
    expect(await balanceOf(reader)).toBe(50_000);
    const navigated = await readToEnd(
      await call('/premium/x', {
        headers: { cookie, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', accept: 'application/json' },
      }),
    );
    expect(navigated.status).toBe(200);
    expect(await balanceOf(reader)).toBe(40_000);
  });

  it('a free path is the origin’s business: no CORS headers added', async () => {
    const res = await get('/free/page', {});
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
