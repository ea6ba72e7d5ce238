import { reset } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { balanceOf, HOST, ledgerOf, newReader, useStandardSite, view, type Reader } from '../support/paywall';
import {
  decodePaymentPayload,
  decodePaymentRequired,
  decodeSettlementResponse,
  encodeBase64Header,
  prepaidPayment,
  type PaymentRequired,
} from '../support/x402-spec';

afterEach(() => reset());
beforeEach(() => useStandardSite());

/** The 402 an x402 client gets first, decoded strictly. */
async function quote(path: string, reader: Reader | null = null): Promise<{ res: Response; required: PaymentRequired }> {
  const res = await view(path, reader);
  expect(res.status).toBe(402);
  return { res, required: decodePaymentRequired(res.headers.get('payment-required')) };
}

function pay(path: string, payment: unknown, headers: Record<string, string> = {}, method = 'GET') {
  return view(path, null, { 'payment-signature': encodeBase64Header(payment), ...headers }, method);
}

const charges = async (reader: Reader) => (await ledgerOf(reader)).filter((e) => e.type === 'charge');
const ID = 'pay_0123456789abcdef0123';

function reverseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(
    Object.entries(v)
      .reverse()
      .map(([k, x]) => [k, reverseKeys(x)]),
  );
}

describe('x402 v2: PAYMENT-REQUIRED on a priced path', () => {
  it('describes the prepaid scheme: price in micros, where to top up, the resource', async () => {
    const { res, required } = await quote('/articles/hello?x=1');
    expect(required.x402Version).toBe(2);
    expect(required.resource.url).toBe(`http://${HOST}/articles/hello?x=1`);
    expect(required.accepts).toHaveLength(1);
    const offer = required.accepts[0]!;
    expect(offer.scheme).toBe('prepaid');
    expect(offer.amount).toBe(res.headers.get('paywall-price-micros'));
    expect(offer.amount).toBe('2500');
    expect(offer.asset).toBe('USD');
    expect(offer.payTo).toBe(HOST);
    expect(offer.extra?.amountUnit).toBe('micros');
    expect(offer.extra?.topUpUrl).toBe(`http://${HOST}/__paywall/api/topup`);
    expect(offer.extra?.createReaderUrl).toBe(`http://${HOST}/__paywall/api/readers`);
    expect(offer.extra?.reviewWindowSeconds).toBe(3600);
    expect(required.extensions?.['payment-identifier']?.info).toEqual({ required: false });
    // The contract's 402 is unchanged.
    expect(await res.json()).toEqual({ error: 'payment_required', priceMicros: 2500, balanceMicros: null });
  });

  it('is on every kind of 402 (HTML, HEAD, short balance) and never on a free path', async () => {
    const html = await view('/premium/x', null, { accept: 'text/html' });
    expect(html.status).toBe(402);
    expect(decodePaymentRequired(html.headers.get('payment-required')).accepts[0]!.amount).toBe('10000');
    const head = await view('/premium/x', null, {}, 'HEAD');
    expect(head.status).toBe(402);
    expect(decodePaymentRequired(head.headers.get('payment-required')).accepts[0]!.amount).toBe('10000');
    const poor = await newReader(100);
    const short = await quote('/premium/x', poor);
    expect(short.required.error).toMatch(/^insufficient_balance/);
    const free = await view('/about', null);
    expect(free.status).toBe(200);
    expect(free.headers.get('payment-required')).toBeNull();
  });
});

describe('x402 v2: paying with PAYMENT-SIGNATURE', () => {
  it('honours the reader token in a prepaid payload and answers PAYMENT-RESPONSE', async () => {
    const reader = await newReader(10_000);
    const { required } = await quote('/articles/a');
    const payment = prepaidPayment(required, reader.token);
    decodePaymentPayload(encodeBase64Header(payment)); // what we send is a valid PaymentPayload
    const res = await pay('/articles/a', payment);
    expect(res.status).toBe(200);
    expect(res.headers.get('paywall-charged-micros')).toBe('2500');
    const settlement = decodeSettlementResponse(res.headers.get('payment-response'));
    expect(settlement).toEqual({
      success: true,
      transaction: res.headers.get('paywall-receipt'),
      network: required.accepts[0]!.network,
      payer: reader.readerId,
    });
    expect(await balanceOf(reader)).toBe(7500);
    // The origin never sees the payload: it carries the reader's token.
    const echoed = await res.json<{ headers: Record<string, string> }>();
    expect(echoed.headers['payment-signature']).toBeUndefined();
    expect(JSON.stringify(echoed.headers)).not.toContain(reader.token);
  });

  it('a re-view inside the window settles at 0 with the same transaction', async () => {
    const reader = await newReader(10_000);
    const { required } = await quote('/articles/a');
    const first = await pay('/articles/a', prepaidPayment(required, reader.token));
    const again = await pay('/articles/a', prepaidPayment(required, reader.token));
    expect(again.status).toBe(200);
    expect(again.headers.get('paywall-charged-micros')).toBe('0');
    expect(decodeSettlementResponse(again.headers.get('payment-response')).transaction).toBe(
      decodeSettlementResponse(first.headers.get('payment-response')).transaction,
    );
    expect(await charges(reader)).toHaveLength(1);
  });

  it('a forged token, a short balance and an amount below the price are 402s with the reason, nothing charged', async () => {
    const { required } = await quote('/premium/x');
    const forged = await pay(
      '/premium/x',
      prepaidPayment(required, 'r_AAAAAAAAAAAAAAAAAAAAAA.9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
    );
    expect(forged.status).toBe(402);
    expect(await forged.json()).toMatchObject({ error: 'payment_required', balanceMicros: null });
    expect(decodeSettlementResponse(forged.headers.get('payment-response'))).toMatchObject({ success: false, transaction: '' });

    const poor = await newReader(9_999);
    const short = await pay('/premium/x', prepaidPayment(required, poor.token));
    expect(short.status).toBe(402);
    expect(await short.json()).toMatchObject({ error: 'insufficient_balance', balanceMicros: 9_999 });
    expect(decodeSettlementResponse(short.headers.get('payment-response'))).toMatchObject({
      success: false,
      errorReason: 'insufficient_funds',
      payer: poor.readerId,
    });

    const rich = await newReader(50_000);
    const low = await pay('/premium/x', prepaidPayment(required, rich.token, { amount: '9999' }));
    expect(low.status).toBe(402);
    expect(await low.json()).toMatchObject({ error: 'price_above_max', priceMicros: 10_000 });
    expect(decodeSettlementResponse(low.headers.get('payment-response')).success).toBe(false);
    expect(await balanceOf(poor)).toBe(9_999);
    expect(await balanceOf(rich)).toBe(50_000);
  });

  it('accepted.amount is a ceiling: above the price, the price is charged', async () => {
    const reader = await newReader(50_000);
    const { required } = await quote('/premium/x');
    const res = await pay('/premium/x', prepaidPayment(required, reader.token, { amount: '20000' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('paywall-charged-micros')).toBe('10000');
    expect(await balanceOf(reader)).toBe(40_000);
  });

  it('the least of every stated ceiling wins (Paywall-Max-Price-Micros with accepted.amount)', async () => {
    const reader = await newReader(50_000);
    const { required } = await quote('/premium/x');
    const res = await pay('/premium/x', prepaidPayment(required, reader.token, { amount: '20000' }), {
      'paywall-max-price-micros': '5000',
    });
    expect(res.status).toBe(402);
    expect(await balanceOf(reader)).toBe(50_000);
  });

  it('malformed payloads are 400s naming PAYMENT-SIGNATURE, nothing charged', async () => {
    const reader = await newReader(50_000);
    const { required } = await quote('/premium/x');
    const good = prepaidPayment(required, reader.token);
    const cases: [unknown, string][] = [
      [{ ...good, x402Version: 1 }, 'invalid_x402_version'],
      [{ ...good, accepted: { ...good.accepted, scheme: 'exact' } }, 'invalid_scheme'],
      [{ ...good, accepted: { ...good.accepted, network: 'eip155:8453' } }, 'invalid_network'],
      [{ ...good, accepted: { ...good.accepted, payTo: 'other.test' } }, 'invalid_prepaid_payload_recipient_mismatch'],
      [{ ...good, accepted: { ...good.accepted, amount: '1e4' } }, 'invalid_prepaid_payload_amount'],
      [{ ...good, accepted: { ...good.accepted, amount: '-1' } }, 'invalid_prepaid_payload_amount'],
      [{ ...good, payload: {} }, 'invalid_payload'],
      [prepaidPayment(required, reader.token, { id: 'short' }), 'invalid_payload'],
      [prepaidPayment(required, reader.token, { id: 'has spaces in it, 123456' }), 'invalid_payload'],
    ];
    for (const [payment, code] of cases) {
      const res = await pay('/premium/x', payment);
      expect(res.status, code).toBe(400);
      expect(await res.json(), code).toMatchObject({ error: code, field: 'PAYMENT-SIGNATURE' });
      expect(decodeSettlementResponse(res.headers.get('payment-response'))).toMatchObject({ success: false, errorReason: code });
    }
    for (const raw of ['not base64!', btoa('not json'), btoa('[]'), 'A'.repeat(9000)]) {
      const res = await view('/premium/x', null, { 'payment-signature': raw });
      expect(res.status, raw.slice(0, 20)).toBe(400);
    }
    expect(await balanceOf(reader)).toBe(50_000);
  });

  it('a PAYMENT-SIGNATURE on a free path is not read, and not sent to the origin', async () => {
    const res = await view('/about', null, { 'payment-signature': 'garbage' });
    expect(res.status).toBe(200);
    expect((await res.json<{ headers: Record<string, string> }>()).headers['payment-signature']).toBeUndefined();
  });

  it('an origin cannot forge a settlement: its protocol headers are dropped', async () => {
    const res = await view('/forged-charge/page', null);
    expect(res.status).toBe(200);
    expect(res.headers.get('payment-response')).toBeNull();
    expect(res.headers.get('crawler-charged')).toBeNull();
    expect(res.headers.get('crawler-price')).toBeNull();
  });
});

describe('x402 payment-identifier: idempotency', () => {
  it('same id and same payload: the same answer, charged once', async () => {
    const reader = await newReader(50_000);
    const { required } = await quote('/premium/x');
    const payment = prepaidPayment(required, reader.token, { id: ID });
    const first = await pay('/premium/x', payment);
    const second = await pay('/premium/x', payment);
    // Key order is not a different payload.
    const third = await pay('/premium/x', reverseKeys(payment));
    for (const res of [first, second, third]) expect(res.status).toBe(200);
    const transactions = [first, second, third].map((r) => decodeSettlementResponse(r.headers.get('payment-response')).transaction);
    expect(new Set(transactions).size).toBe(1);
    expect(second.headers.get('paywall-charged-micros')).toBe('10000');
    expect(second.headers.get('idempotency-replayed')).toBe('true');
    expect(await charges(reader)).toHaveLength(1);
    expect(await balanceOf(reader)).toBe(40_000);
  });

  it('same id, different payload: 409, nothing charged', async () => {
    const reader = await newReader(50_000);
    const { required } = await quote('/premium/x');
    expect((await pay('/premium/x', prepaidPayment(required, reader.token, { id: ID }))).status).toBe(200);
    const otherAmount = await pay('/premium/x', prepaidPayment(required, reader.token, { id: ID, amount: '20000' }));
    expect(otherAmount.status).toBe(409);
    expect(await otherAmount.json()).toMatchObject({ error: 'idempotency_conflict' });
    const otherPath = await pay('/premium/y', prepaidPayment((await quote('/premium/y')).required, reader.token, { id: ID }));
    expect(otherPath.status).toBe(409);
    const otherMethod = await pay('/premium/x', prepaidPayment(required, reader.token, { id: ID }), {}, 'POST');
    expect(otherMethod.status).toBe(409);
    // The same id sent as a plain Idempotency-Key is not the same payload either.
    const plain = await view('/premium/x', reader, { 'idempotency-key': ID });
    expect(plain.status).toBe(409);
    expect(await charges(reader)).toHaveLength(1);
    expect(await balanceOf(reader)).toBe(40_000);
  });

  it('concurrent retries of one id are charged once', async () => {
    const reader = await newReader(50_000);
    const { required } = await quote('/premium/x');
    const payment = prepaidPayment(required, reader.token, { id: ID });
    const answers = await Promise.all(Array.from({ length: 12 }, () => pay('/premium/x', payment)));
    for (const res of answers) expect(res.status).toBe(200);
    expect(new Set(answers.map((r) => r.headers.get('paywall-receipt'))).size).toBe(1);
    expect(await charges(reader)).toHaveLength(1);
    expect(await balanceOf(reader)).toBe(40_000);
  });

  it('Idempotency-Key alongside must name the same id', async () => {
    const reader = await newReader(50_000);
    const { required } = await quote('/premium/x');
    const res = await pay('/premium/x', prepaidPayment(required, reader.token, { id: ID }), {
      'idempotency-key': 'something-else-entirely',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: 'Idempotency-Key' });
    const same = await pay('/premium/x', prepaidPayment(required, reader.token, { id: ID }), { 'idempotency-key': ID });
    expect(same.status).toBe(200);
  });
});
