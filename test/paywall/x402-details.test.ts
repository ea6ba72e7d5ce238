import { reset } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { balanceOf, newReader, putSite, siteDoc, useStandardSite, view } from '../support/paywall';
import { decodePaymentRequired, decodeSettlementResponse, encodeBase64Header, prepaidPayment } from '../support/x402-spec';

afterEach(() => reset());
beforeEach(() => useStandardSite());

async function quote(path: string) {
  const res = await view(path, null);
  expect(res.status).toBe(402);
  return decodePaymentRequired(res.headers.get('payment-required'));
}
const pay = (path: string, payment: unknown) => view(path, null, { 'payment-signature': encodeBase64Header(payment) });

describe('x402: PAYMENT-RESPONSE amount', () => {
  it('names the amount taken when it is below accepted.amount: the price fell since the quote', async () => {
    const reader = await newReader(50_000);
    const required = await quote('/premium/x');
    expect((await putSite(siteDoc([{ pattern: '/premium/*', priceMicros: 4_000 }]))).status).toBe(200);
    const res = await pay('/premium/x', prepaidPayment(required, reader.token));
    expect(res.status).toBe(200);
    expect(decodeSettlementResponse(res.headers.get('payment-response'))).toMatchObject({ success: true, amount: '4000' });
    expect(await balanceOf(reader)).toBe(46_000);
  });

  it('names 0 on a re-view inside the window, and is silent when the whole accepted amount was taken', async () => {
    const reader = await newReader(50_000);
    const required = await quote('/articles/a');
    const first = await pay('/articles/a', prepaidPayment(required, reader.token));
    expect(first.status).toBe(200);
    expect(decodeSettlementResponse(first.headers.get('payment-response')).amount).toBeUndefined();
    const again = await pay('/articles/a', prepaidPayment(required, reader.token));
    expect(again.status).toBe(200);
    expect(decodeSettlementResponse(again.headers.get('payment-response'))).toMatchObject({ success: true, amount: '0' });
  });
});

describe('x402: errors in the order the spec reads a payload', () => {
  it('a v1 envelope is invalid_x402_version, an exact payload invalid_scheme, another network invalid_network; nothing charged', async () => {
    const reader = await newReader(50_000);
    const required = await quote('/premium/x');
    const good = prepaidPayment(required, reader.token);
    const exact = {
      ...good,
      accepted: { ...good.accepted, scheme: 'exact', network: 'eip155:8453', asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913' },
      payload: {
        signature: '0xabc',
        authorization: { from: '0x1', to: '0x2', value: '10000', validAfter: '0', validBefore: '9', nonce: '0x3' },
      },
    };
    const v1 = { x402Version: 1, scheme: 'exact', network: 'base', payload: { signature: '0xabc' } };
    const cases: [unknown, string][] = [
      [v1, 'invalid_x402_version'],
      [{ ...v1, x402Version: 3 }, 'invalid_x402_version'],
      [exact, 'invalid_scheme'],
      [{ ...good, accepted: { ...good.accepted, network: 'eip155:8453' }, payload: { signature: '0x' } }, 'invalid_network'],
      [{ ...good, payload: { signature: '0x' } }, 'invalid_payload'],
    ];
    for (const [payment, code] of cases) {
      const res = await pay('/premium/x', payment);
      expect(res.status, code).toBe(400);
      expect(await res.json(), code).toMatchObject({ error: code, field: 'PAYMENT-SIGNATURE' });
      expect(decodeSettlementResponse(res.headers.get('payment-response'))).toMatchObject({ success: false, errorReason: code });
    }
    expect(await balanceOf(reader)).toBe(50_000);
  });
});
