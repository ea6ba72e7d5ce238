import { reset } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { balanceOf, ledgerOf, newReader, useStandardSite, view } from '../support/paywall';

afterEach(() => reset());

/** The paid body is piped through a native identity stream (deliver.ts); a break in it must still refund. */
describe('a paid body that breaks off', () => {
  it('is refunded, and a whole body is not', async () => {
    await useStandardSite();
    const reader = await newReader(10_000);

    const broken = await view('/broken-body/paid', reader);
    expect(broken.status).toBe(200);
    expect(broken.headers.get('paywall-charged-micros')).toBe('1000');
    await expect(broken.arrayBuffer()).rejects.toThrow();
    await expect.poll(() => balanceOf(reader), { timeout: 5_000 }).toBe(10_000);
    const types = (await ledgerOf(reader)).map((e) => e.type);
    expect(types).toEqual(['refund', 'charge', 'topup']);

    const whole = await view('/premium/whole', reader);
    expect(whole.status).toBe(200);
    const text = await whole.text();
    expect(JSON.parse(text).path).toBe('/premium/whole');
    expect(await balanceOf(reader)).toBe(0);
  });
});
