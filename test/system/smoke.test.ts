import { reset } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { balanceOf, call, newReader, useStandardSite, view } from '../support/paywall';

afterEach(() => reset());

describe('smoke', () => {
  it('serves healthz', async () => {
    const res = await call('/__paywall/healthz');
    expect(res.status).toBe(200);
  });
  it('charges a paid view', async () => {
    await useStandardSite();
    const reader = await newReader(10_000);
    const res = await view('/articles/hello', reader);
    expect(res.status).toBe(200);
    expect(res.headers.get('paywall-charged-micros')).toBe('2500');
    expect(await balanceOf(reader)).toBe(7500);
  });
});
