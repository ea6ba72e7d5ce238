import { reset } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { appendPaymentIdentifierToExtensions } from '@x402/extensions/payment-identifier';
import { decodePaymentResponseHeader, wrapFetchWithPayment, x402Client } from '@x402/fetch';
import { afterEach, describe, expect, it } from 'vitest';
import { PREPAID_NETWORK, PrepaidScheme } from '../../client';
import { balanceOf, HOST, ledgerOf, newReader, putSite, readToEnd, siteDoc, useStandardSite, type Reader } from '../support/paywall';

afterEach(() => reset());

/** The Worker as the official client's fetch, answers read to the end as an HTTP stack reads them. */
const worker = async (input: RequestInfo | URL, init?: RequestInit) => readToEnd(await exports.default.fetch(new Request(input, init)));
const url = (path: string) => `http://${HOST}${path}`;
const charges = async (reader: Reader) => (await ledgerOf(reader)).filter((e) => e.type === 'charge');

/** What an agent writes: the official client, and one register call for our scheme. */
function officialClient(reader: Reader) {
  return new x402Client().register(PREPAID_NETWORK, new PrepaidScheme({ token: reader.token }));
}

describe('the official x402 client (@x402/fetch) with the prepaid scheme', () => {
  it('pays a priced view: 200, a PAYMENT-RESPONSE naming the ledger entry, charged the price once', async () => {
    await useStandardSite();
    const reader = await newReader(100_000);
    const pay = wrapFetchWithPayment(worker, officialClient(reader));

    const res = await pay(url('/premium/one'));
    expect(res.status).toBe(200);
    const settlement = decodePaymentResponseHeader(res.headers.get('payment-response')!);
    expect(settlement).toMatchObject({ success: true, network: PREPAID_NETWORK, payer: reader.readerId });
    const [charge, ...more] = await charges(reader);
    expect(more).toEqual([]);
    expect(charge).toMatchObject({ id: settlement.transaction, amountMicros: 10_000 });
    expect(res.headers.get('paywall-receipt')).toBe(settlement.transaction);
    expect(await balanceOf(reader)).toBe(90_000);
  });

  it('without the payment-identifier extension, each call is a new payment', async () => {
    await useStandardSite();
    const reader = await newReader(100_000);
    const pay = wrapFetchWithPayment(worker, officialClient(reader));
    const first = await pay(url('/premium/again'));
    const second = await pay(url('/premium/again'));
    expect([first.status, second.status]).toEqual([200, 200]);
    const receipts = [first, second].map((r) => decodePaymentResponseHeader(r.headers.get('payment-response')!).transaction);
    expect(new Set(receipts).size).toBe(2);
    expect((await charges(reader)).map((e) => e.amountMicros)).toEqual([10_000, 10_000]);
  });

  it('with the payment-identifier extension, a retry with the same id is charged once and names the same receipt', async () => {
    await useStandardSite();
    const reader = await newReader(100_000);
    const client = officialClient(reader);
    const paymentId = 'pay_0123456789abcdef0123456789abcdef';
    const sentIds: unknown[] = [];
    client.onBeforePaymentCreation(async ({ paymentRequired }) => {
      paymentRequired.extensions ??= {};
      appendPaymentIdentifierToExtensions(paymentRequired.extensions, paymentId);
    });
    client.onAfterPaymentCreation(async ({ paymentPayload }) => {
      sentIds.push((paymentPayload.extensions?.['payment-identifier'] as { info?: { id?: unknown } } | undefined)?.info?.id);
    });
    const pay = wrapFetchWithPayment(worker, client);

    const first = await pay(url('/premium/once'));
    const retry = await pay(url('/premium/once'));
    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(sentIds).toEqual([paymentId, paymentId]);
    const [a, b] = [first, retry].map((r) => decodePaymentResponseHeader(r.headers.get('payment-response')!));
    expect(b!.transaction).toBe(a!.transaction);
    expect(retry.headers.get('idempotency-replayed')).toBe('true');
    expect((await charges(reader)).map((e) => e.amountMicros)).toEqual([10_000]);
    expect(await balanceOf(reader)).toBe(90_000);
  });

  it('its spend controls read our asset through findDefaultAsset: a price above the cap is refused before anything is sent', async () => {
    expect(
      (
        await putSite(
          siteDoc([
            { pattern: '/dear/*', priceMicros: 2_000_000 },
            { pattern: '/cheap/*', priceMicros: 10_000 },
          ]),
        )
      ).status,
    ).toBe(200);
    const reader = await newReader(5_000_000);
    // The default cap is $1 a payment: 2,000,000 micros is above it.
    await expect(wrapFetchWithPayment(worker, officialClient(reader))(url('/dear/x'))).rejects.toThrow(/spendControls/);
    // An agent's own cap, in dollars, is read in micros.
    const client = officialClient(reader).setSpendControls({ maxAmountPerPayment: '$0.005' });
    await expect(wrapFetchWithPayment(worker, client)(url('/cheap/x'))).rejects.toThrow(/spendControls/);
    expect(await charges(reader)).toEqual([]);
    const generous = officialClient(reader).setSpendControls({ maxAmountPerPayment: '$5' });
    expect((await wrapFetchWithPayment(worker, generous)(url('/dear/x'))).status).toBe(200);
    expect(await balanceOf(reader)).toBe(3_000_000);
  });

  it('a reader who cannot pay gets the 402 back, with a failed settlement saying why, and nothing is charged', async () => {
    await useStandardSite();
    const reader = await newReader(5_000);
    const res = await wrapFetchWithPayment(worker, officialClient(reader))(url('/premium/short'));
    expect(res.status).toBe(402);
    expect(decodePaymentResponseHeader(res.headers.get('payment-response')!)).toMatchObject({
      success: false,
      errorReason: 'insufficient_funds',
    });
    expect(await balanceOf(reader)).toBe(5_000);
  });
});
