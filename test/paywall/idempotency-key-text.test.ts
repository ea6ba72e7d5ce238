import { reset } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { balanceOf, newReader, useStandardSite, view } from '../support/paywall';

afterEach(() => reset());

/**
 * An Idempotency-Key is any 1 to 255 printable ASCII characters, whatever they spell. The
 * key `invalid` was once refused as malformed, since the parser answered that very word
 * for a malformed key.
 */
describe('Idempotency-Key text', () => {
  it('"invalid" is a key like any other: charged once, replayed with the same receipt', async () => {
    await useStandardSite();
    const reader = await newReader(100_000);
    const first = await view('/premium/a', reader, { 'idempotency-key': 'invalid' });
    expect(first.status).toBe(200);
    expect(first.headers.get('paywall-charged-micros')).toBe('10000');
    const retry = await view('/premium/a', reader, { 'idempotency-key': 'invalid' });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('paywall-receipt')).toBe(first.headers.get('paywall-receipt'));
    expect(retry.headers.get('idempotency-replayed')).toBe('true');
    expect(await balanceOf(reader)).toBe(90_000);
  });

  it('a key with a space or a control character is still a 400 naming the header, nothing charged', async () => {
    await useStandardSite();
    const reader = await newReader(100_000);
    for (const key of ['two words', 'tab\there', 'x'.repeat(256)]) {
      const res = await view('/premium/a', reader, { 'idempotency-key': key });
      expect(res.status, key).toBe(400);
      expect(await res.json(), key).toMatchObject({ error: 'invalid_idempotency_key', field: 'Idempotency-Key' });
    }
    expect(await balanceOf(reader)).toBe(100_000);
  });
});
