import { reset } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { PaymentOutcomeUnknown, PaywallClient, readPaymentRequired, type Protocol } from '../../client';
import { balanceOf, HOST, ledgerOf, newReader, putSite, readToEnd, siteDoc, useStandardSite, type Reader } from '../support/paywall';

afterEach(() => reset());

/** The Worker, its answers read to the end as an agent's HTTP stack reads them. */
const worker = async (request: Request) => readToEnd(await exports.default.fetch(request));
const url = (path: string) => `http://${HOST}${path}`;
const charged = async (reader: Reader) =>
  (await ledgerOf(reader)).filter((e) => e.type === 'charge').reduce((sum, e) => sum + e.amountMicros, 0);

function client(reader: Reader, budgetMicros: number, protocol: Protocol = 'paywall', fetch = worker) {
  return new PaywallClient({ token: reader.token, budgetMicros, protocol, fetch, retryDelayMs: 0 });
}

describe('client: budget', () => {
  it('property: whatever the budget, prices, protocol and concurrency, the charges never exceed the budget, and the client counts them exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 60_000 }),
        fc.array(fc.record({ price: fc.integer({ min: 0, max: 30_000 }), window: fc.boolean() }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.array(fc.nat(3), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom<Protocol>('paywall', 'crawler', 'x402'),
        async (budget, prices, batches, protocol) => {
          const rules = prices.map((p, i) => ({
            pattern: `/p/${i}/*`,
            priceMicros: p.price,
            ...(p.window ? { reviewWindowSeconds: 600 } : {}),
          }));
          expect((await putSite(siteDoc(rules))).status).toBe(200);
          const reader = await newReader(10_000_000);
          const agent = client(reader, budget, protocol);
          let n = 0;
          for (const batch of batches) {
            // Requests in a batch run side by side.
            const answers = await Promise.all(
              batch.map(async (i) => {
                const available = agent.availableMicros;
                const res = await agent.fetch(url(`/p/${i % prices.length}/${n++ % 3}`));
                return { res, available, price: prices[i % prices.length]!.price };
              }),
            );
            for (const { res, price } of answers) {
              expect([200, 402]).toContain(res.status);
              if (res.status === 402) expect((await readPaymentRequired(res))?.priceMicros).toBe(price);
            }
          }
          const total = await charged(reader);
          expect(total).toBeLessThanOrEqual(budget);
          expect(agent.spentMicros).toBe(total);
          expect(await balanceOf(reader)).toBe(10_000_000 - total);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('sequentially, it pays whenever the price fits what is left, and only then', async () => {
    await useStandardSite();
    const reader = await newReader(1_000_000);
    const agent = client(reader, 25_000);
    const answers: Response[] = [];
    for (let i = 0; i < 4; i++) answers.push(await agent.fetch(url(`/premium/${i}`)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 402, 402]);
    // The client asked for HTML (no Accept); the reason still reaches it.
    expect(await readPaymentRequired(answers[2]!)).toMatchObject({ priceMicros: 10_000, reason: 'price_above_max', balanceMicros: null });
    expect(agent.spentMicros).toBe(20_000);
    expect((await agent.fetch(url('/articles/cheap'))).status).toBe(200); // 2,500 still fits
    expect(agent.spentMicros).toBe(22_500);
    expect(agent.receipts.map((r) => r.chargedMicros)).toEqual([10_000, 10_000, 2_500]);
    expect(await charged(reader)).toBe(22_500);
  });

  it('a per-request ceiling lets requests run side by side within the budget', async () => {
    await useStandardSite();
    const reader = await newReader(1_000_000);
    const agent = client(reader, 30_000);
    const answers = await Promise.all([0, 1, 2].map((i) => agent.fetch(url(`/premium/${i}`), { maxPriceMicros: 10_000 })));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(agent.spentMicros).toBe(30_000);
    expect((await agent.fetch(url('/premium/3'), { maxPriceMicros: 10_000 })).status).toBe(402);
    expect(await charged(reader)).toBe(30_000);
  });

  it('x402: reads the quote and does not pay a price above the budget', async () => {
    await useStandardSite();
    const reader = await newReader(1_000_000);
    let sent = 0;
    const agent = client(reader, 5_000, 'x402', (r) => (sent++, worker(r)));
    const res = await agent.fetch(url('/premium/x'));
    expect(res.status).toBe(402);
    expect(sent).toBe(1);
    const paid = await agent.fetch(url('/articles/x'));
    expect(paid.status).toBe(200);
    expect(sent).toBe(3);
    expect(agent.receipts).toEqual([expect.objectContaining({ chargedMicros: 2_500, replayed: false })]);
    expect(await charged(reader)).toBe(2_500);
  });
});

describe('client: retries and receipts', () => {
  it('a lost answer is retried with the same idempotency key: charged once, counted once', async () => {
    await useStandardSite();
    const reader = await newReader(1_000_000);
    for (const protocol of ['paywall', 'crawler', 'x402'] as const) {
      const keys: string[] = [];
      let lose = true;
      const agent = client(reader, 50_000, protocol, async (r) => {
        keys.push(r.headers.get('idempotency-key') ?? r.headers.get('payment-signature') ?? 'unpaid');
        const res = await worker(r);
        if (res.status === 200 && lose) {
          lose = false;
          await res.arrayBuffer(); // delivered, then the connection drops before the client sees it
          throw new TypeError('connection reset');
        }
        return res;
      });
      const res = await agent.fetch(url(`/premium/${protocol}`));
      expect(res.status, protocol).toBe(200);
      expect(res.headers.get('idempotency-replayed'), protocol).toBe('true');
      const paid = keys.filter((k) => k !== 'unpaid');
      expect(paid, protocol).toHaveLength(2);
      expect(paid[0], protocol).toBe(paid[1]);
      expect(agent.spentMicros, protocol).toBe(10_000);
      expect(agent.receipts, protocol).toEqual([expect.objectContaining({ chargedMicros: 10_000, replayed: true })]);
    }
    expect(await charged(reader)).toBe(30_000);
  });

  it('when no answer ever comes, the allowance stays counted, so the budget still holds', async () => {
    await useStandardSite();
    const reader = await newReader(1_000_000);
    const agent = client(reader, 15_000, 'paywall', async (r) => {
      await (await worker(r)).arrayBuffer();
      throw new TypeError('connection reset');
    });
    await expect(agent.fetch(url('/premium/a'))).rejects.toBeInstanceOf(PaymentOutcomeUnknown);
    expect(agent.spentMicros).toBe(15_000);
    expect(agent.availableMicros).toBe(0);
    expect(await charged(reader)).toBe(10_000);
  });

  it('origin failures are retried and never charged', async () => {
    await useStandardSite();
    const reader = await newReader(1_000_000);
    let sent = 0;
    const agent = client(reader, 50_000, 'paywall', (r) => (sent++, worker(r)));
    const res = await agent.fetch(url('/status/503/paid'));
    expect(res.status).toBe(503);
    expect(sent).toBe(3);
    expect(agent.spentMicros).toBe(0);
    expect(await charged(reader)).toBe(0);
  });

  it('a re-view inside the window is a receipt of 0 and costs the budget nothing', async () => {
    await useStandardSite();
    const reader = await newReader(1_000_000);
    const agent = client(reader, 2_500, 'crawler');
    expect((await agent.fetch(url('/articles/w'))).status).toBe(200);
    const again = await agent.fetch(url('/articles/w'));
    expect(again.status).toBe(200);
    expect(agent.receipts.map((r) => r.chargedMicros)).toEqual([2_500, 0]);
    expect(agent.spentMicros).toBe(2_500);
  });
});
