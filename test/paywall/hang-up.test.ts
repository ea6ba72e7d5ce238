import { reset } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { balanceOf, call, ledgerOf, newReader, putSite, siteDoc, type Reader } from '../support/paywall';

afterEach(() => reset());

/**
 * The contract (Views): a paid answer whose body the *origin* breaks off is refunded; a
 * reader who closes the connection during a paid answer has been charged, and a re-view
 * window lets them load it again free. The origin's /drip/ pages stream for 2 s, so a
 * reader can hang up in the middle; /broken-body/ is an origin that breaks off.
 */
const RULES = [
  { pattern: '/drip/windowed', priceMicros: 1000, reviewWindowSeconds: 3600 },
  { pattern: '/drip/*', priceMicros: 1000 },
  { pattern: '/broken-body/*', priceMicros: 1000 },
  { pattern: '/*', priceMicros: 0 },
];

/** A reader who reads the first piece of a paid answer and then closes the connection. */
async function hangUpAfterFirstPiece(path: string, reader: Reader): Promise<Response> {
  const res = await call(path, { headers: { accept: 'application/json', ...reader.auth } });
  expect(res.status).toBe(200);
  const body = res.body!.getReader();
  const first = await body.read();
  expect(first.done).toBe(false);
  await body.cancel('the reader closed the tab');
  return res;
}

/**
 * A refund, if one were coming, is made at once when the pipe fails (deliver.ts); the drip
 * origin's remaining pieces take 2 s. Waiting for the whole stream is the longest a refund
 * could take to show, so "no refund" is asserted after it.
 */
const untilTheOriginWouldHaveFinished = () => scheduler.wait(2_500);

describe('a reader who hangs up during a paid answer', () => {
  it('has been charged: no refund', async () => {
    expect((await putSite(siteDoc(RULES))).status).toBe(200);
    const reader = await newReader(10_000);

    const res = await hangUpAfterFirstPiece('/drip/a', reader);
    expect(res.headers.get('paywall-charged-micros')).toBe('1000');
    await untilTheOriginWouldHaveFinished();

    expect(await balanceOf(reader)).toBe(9_000);
    expect((await ledgerOf(reader)).map((e) => e.type)).toEqual(['charge', 'topup']);
  });

  it('loads it again free inside a re-view window', async () => {
    expect((await putSite(siteDoc(RULES))).status).toBe(200);
    const reader = await newReader(10_000);

    const first = await hangUpAfterFirstPiece('/drip/windowed', reader);
    const receipt = first.headers.get('paywall-receipt');
    expect(first.headers.get('paywall-charged-micros')).toBe('1000');
    await untilTheOriginWouldHaveFinished();

    const again = await call('/drip/windowed', { headers: { accept: 'application/json', ...reader.auth } });
    expect(again.status).toBe(200);
    expect(again.headers.get('paywall-charged-micros')).toBe('0');
    expect(again.headers.get('paywall-receipt')).toBe(receipt);
    expect(await again.text()).toContain('piece 9');
    expect(await balanceOf(reader)).toBe(9_000);
    expect((await ledgerOf(reader)).map((e) => e.type)).toEqual(['charge', 'topup']);
  });

  it('is told apart from an origin that breaks off, which is refunded', async () => {
    expect((await putSite(siteDoc(RULES))).status).toBe(200);
    const reader = await newReader(10_000);

    const broken = await call('/broken-body/paid', { headers: { accept: 'application/json', ...reader.auth } });
    expect(broken.headers.get('paywall-charged-micros')).toBe('1000');
    await expect(broken.arrayBuffer()).rejects.toThrow();
    await expect.poll(() => balanceOf(reader), { timeout: 5_000 }).toBe(10_000);

    await hangUpAfterFirstPiece('/drip/b', reader);
    await untilTheOriginWouldHaveFinished();
    expect(await balanceOf(reader)).toBe(9_000);
    expect((await ledgerOf(reader)).map((e) => e.type)).toEqual(['charge', 'refund', 'charge', 'topup']);
  });
});
