import { env, reset } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { earlyInFlight, heardFromWallet, KNOWN_MS, MAX_EARLY_IN_FLIGHT, startEarly } from '../../src/paywall/early-origin';
import type { OriginResult } from '../../src/paywall/proxy-origin';
import { newReader, putSite, siteDoc, view } from '../support/paywall';
import { chargedOf, expectConserved } from '../support/security';

afterEach(() => reset());

/**
 * A paid GET asks the origin together with the wallet (src/paywall/early-origin.ts), but
 * only for a reader this isolate last heard had the price; the wallet alone decides, and
 * a refused view is the contract's 402 with nothing of the origin's answer in it.
 */
const RULES = [
  { pattern: '/tally/*', priceMicros: 1000 },
  { pattern: '/late/*', priceMicros: 1000 },
  { pattern: '/*', priceMicros: 0 },
];

const originFetches = async (id: string) => (await (await fetch(`${env.TEST_ORIGIN}/count/${id}`)).json<{ count: number }>()).count;

const ok = (): Promise<OriginResult> => Promise.resolve({ ok: true, response: new Response('page') });

describe('when the origin may be asked before the wallet answers', () => {
  it('never for a reader this isolate has not heard of, nor after a refusal, nor once what it heard is stale', () => {
    const t = 1_000_000;
    expect(startEarly('GET', 'r-unknown', 1000, ok, t)).toBeNull();
    heardFromWallet('r-poor', 999, t);
    expect(startEarly('GET', 'r-poor', 1000, ok, t)).toBeNull();
    heardFromWallet('r-rich', 5000, t);
    expect(startEarly('GET', 'r-rich', 1000, ok, t + KNOWN_MS + 1)).toBeNull();
    const early = startEarly('GET', 'r-rich', 1000, ok, t + 1);
    expect(early).not.toBeNull();
    early!.walletAnswered();
    heardFromWallet('r-rich', 0, t + 2); // refused
    expect(startEarly('GET', 'r-rich', 1000, ok, t + 3)).toBeNull();
  });

  it('at most MAX_EARLY_IN_FLIGHT of one reader wait on the wallet at once, and the fetch starts at once', () => {
    const t = 2_000_000;
    heardFromWallet('r-busy', 1_000_000, t);
    let started = 0;
    const fetchNow = () => ((started += 1), ok());
    const running = Array.from({ length: MAX_EARLY_IN_FLIGHT + 3 }, () => startEarly('GET', 'r-busy', 1000, fetchNow, t));
    expect(running.filter((e) => e !== null)).toHaveLength(MAX_EARLY_IN_FLIGHT);
    expect(started).toBe(MAX_EARLY_IN_FLIGHT);
    expect(earlyInFlight('r-busy')).toBe(MAX_EARLY_IN_FLIGHT);
    running[0]!.walletAnswered();
    running[0]!.walletAnswered(); // once only
    expect(earlyInFlight('r-busy')).toBe(MAX_EARLY_IN_FLIGHT - 1);
    expect(startEarly('GET', 'r-busy', 1000, fetchNow, t)).not.toBeNull();
  });

  it('never for a method other than GET, which may change something at the origin', () => {
    heardFromWallet('r-post', 1_000_000);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']) expect(startEarly(method, 'r-post', 1000, ok)).toBeNull();
    expect(startEarly('GET', 'r-post', 1000, ok)).not.toBeNull();
  });

  it('a discarded early fetch is aborted', async () => {
    heardFromWallet('r-abort', 5000);
    let signal: AbortSignal | undefined;
    const early = startEarly('GET', 'r-abort', 1000, (s) => ((signal = s), ok()));
    const kept: Promise<unknown>[] = [];
    early!.discard((p) => kept.push(p));
    await Promise.all(kept);
    expect(signal!.aborted).toBe(true);
    expect(earlyInFlight('r-abort')).toBe(0);
  });
});

describe('paid views whose origin is asked early', () => {
  it('a reader who never had the price makes the origin fetch nothing', async () => {
    expect((await putSite(siteDoc(RULES))).status).toBe(200);
    const poor = await newReader(500);
    const id = `poor-${crypto.randomUUID()}`;
    for (let i = 0; i < 5; i++) expect((await view(`/tally/${id}/story-${i}`, poor)).status).toBe(402);
    expect(await originFetches(id)).toBe(0);
    await expectConserved(poor, 500);
  });

  it('a reader whose money runs out mid-burst: one view paid, the rest 402 with nothing of the origin in them, and few wasted fetches', async () => {
    expect((await putSite(siteDoc(RULES))).status).toBe(200);
    const reader = await newReader(2000);
    const id = `burst-${crypto.randomUUID()}`;
    // The first view asks the wallet first and tells this isolate the reader has 1000 left.
    expect(chargedOf(await view(`/tally/${id}/first`, reader))).toBe(1000);
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => view(`/tally/${id}/burst-${i}`, reader)));
    const paid = answers.filter((r) => r.status === 200);
    const refused = answers.filter((r) => r.status === 402);
    expect(paid).toHaveLength(1);
    expect(refused).toHaveLength(9);
    for (const res of refused) {
      // The origin's own headers and body (JSON echoing the request) never reach a refused reader.
      expect(res.headers.get('cache-control') ?? '').not.toContain('public');
      const body = await res.json<Record<string, unknown>>();
      expect(body.error).toBe('insufficient_balance');
      expect(body).not.toHaveProperty('method');
      expect(body).not.toHaveProperty('headers');
    }
    // The first view, the paid one, and at most MAX_EARLY_IN_FLIGHT - 1 asked for nothing.
    const fetched = await originFetches(id);
    expect(fetched).toBeGreaterThanOrEqual(2);
    expect(fetched).toBeLessThanOrEqual(2 + MAX_EARLY_IN_FLIGHT - 1);
    // After the refusal the wallet is asked first again: no more origin fetches for nothing.
    for (let i = 0; i < 5; i++) expect((await view(`/tally/${id}/after-${i}`, reader)).status).toBe(402);
    expect(await originFetches(id)).toBe(fetched);
    await expectConserved(reader, 0);
  });

  it('the Worker remembers what the wallet said: after a paid view with money left, the next GET may go early', async () => {
    expect((await putSite(siteDoc(RULES))).status).toBe(200);
    const reader = await newReader(5000);
    expect(startEarly('GET', reader.readerId, 1000, ok)).toBeNull();
    expect(chargedOf(await view('/tally/remember/first', reader))).toBe(1000);
    const early = startEarly('GET', reader.readerId, 1000, ok);
    expect(early).not.toBeNull();
    early!.walletAnswered();
  });

  it('an early view that the origin answers slowly is charged once, after the answer', async () => {
    expect((await putSite(siteDoc(RULES))).status).toBe(200);
    const reader = await newReader(10_000);
    expect(chargedOf(await view('/tally/warm/x', reader))).toBe(1000);
    const res = await view('/late/paid', reader);
    expect(res.status).toBe(200);
    expect(chargedOf(res)).toBe(1000);
    await expectConserved(reader, 8000);
  });
});
