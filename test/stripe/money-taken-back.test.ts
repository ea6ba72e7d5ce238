import { reset } from 'cloudflare:test';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CONSOLE, page, signIn } from '../support/admin-console';
import {
  ADMIN,
  adminCall,
  balanceOf,
  ledgerOf,
  newReader,
  topUp,
  useStandardSite,
  view,
  type Entry,
  type Reader,
} from '../support/paywall';
import { chargeRefunded, checkoutCompleted, deliverEvent, disputeEvent } from '../support/stripe-events';

afterEach(() => reset());

let counter = 0;
const uid = (prefix: string) => `${prefix}_test_${++counter}_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`;
const CENT = 10_000;

type Payment = { reader: Reader; pi: string; cents: number; session: ReturnType<typeof checkoutCompleted> };

function cardTopUp(reader: Reader, cents: number): Payment {
  const pi = uid('pi');
  return {
    reader,
    pi,
    cents,
    session: checkoutCompleted({ id: uid('cs'), client_reference_id: reader.readerId, amount_total: cents, payment_intent: pi }),
  };
}

async function ok(event: unknown) {
  const res = await deliverEvent(event);
  expect(res.status).toBe(200);
  return res.json<Record<string, unknown>>();
}

/** The contract: each entry's balanceAfterMicros is the previous one's plus or minus its amountMicros. */
const MONEY_OUT = new Set(['charge', 'reversal', 'withdrawal', 'transfer_out']);
function expectChained(entries: Entry[]) {
  const oldestFirst = [...entries].reverse();
  let balance = 0;
  for (const e of oldestFirst) {
    expect(e.amountMicros).toBeGreaterThanOrEqual(0);
    balance += MONEY_OUT.has(e.type) ? -e.amountMicros : e.amountMicros;
    expect(e.balanceAfterMicros).toBe(balance);
  }
}

const ofType = (entries: Entry[], type: string) => entries.filter((e) => e.type === type);

describe('charge.refunded', () => {
  it('takes back the refunded amount as a reversal, and a reader in debt pays no view until a top-up pays the debt first', async () => {
    await useStandardSite();
    const reader = await newReader();
    const p = cardTopUp(reader, 500);
    await ok(p.session);
    expect((await view('/articles/one', reader)).status).toBe(200);
    expect(await balanceOf(reader)).toBe(5_000_000 - 2500);

    expect(await ok(chargeRefunded(p.pi, 500, 500))).toMatchObject({ handled: true, movedMicros: -5_000_000 });
    expect(await balanceOf(reader)).toBe(-2500);
    const [reversal] = ofType(await ledgerOf(reader), 'reversal');
    expect(reversal).toMatchObject({ type: 'reversal', amountMicros: 5_000_000, balanceAfterMicros: -2500 });

    // In debt: every priced view is a 402 insufficient_balance, the re-viewed path included.
    for (const path of ['/articles/one', '/articles/two', '/premium/x']) {
      const res = await view(path, reader);
      expect(res.status).toBe(402);
      expect(await res.json()).toMatchObject({ error: 'insufficient_balance', balanceMicros: -2500 });
    }
    expect((await view('/free/page', reader)).status).toBe(200);

    // A top-up pays the debt first.
    expect(await topUp(reader, 2000)).toBe(-500);
    expect((await view('/articles/two', reader)).status).toBe(402);
    expect(await topUp(reader, 3000)).toBe(2500);
    expect((await view('/articles/two', reader)).status).toBe(200);
    expect(await balanceOf(reader)).toBe(0);
    expectChained(await ledgerOf(reader));
  });

  it('takes back each partial refund once, by the total Stripe reports, however often and in whatever order delivered', async () => {
    const reader = await newReader();
    const p = cardTopUp(reader, 1000);
    await ok(p.session);
    const first = chargeRefunded(p.pi, 1000, 300);
    const second = chargeRefunded(p.pi, 1000, 700);
    await ok(second);
    await ok(first);
    await ok(second);
    await ok(first);
    expect(await balanceOf(reader)).toBe(3_000_000);
    const reversals = ofType(await ledgerOf(reader), 'reversal');
    expect(reversals.map((e) => e.amountMicros)).toEqual([7_000_000]);
    await ok(chargeRefunded(p.pi, 1000, 1000));
    expect(await balanceOf(reader)).toBe(0);
    expect(ofType(await ledgerOf(reader), 'reversal').map((e) => e.amountMicros)).toEqual([3_000_000, 7_000_000]);
  });

  it('delivered twenty times at once, takes back once', async () => {
    const reader = await newReader();
    const p = cardTopUp(reader, 800);
    await ok(p.session);
    const refund = chargeRefunded(p.pi, 800, 800);
    const responses = await Promise.all(Array.from({ length: 20 }, () => deliverEvent(refund)));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(await balanceOf(reader)).toBe(0);
    expect(ofType(await ledgerOf(reader), 'reversal')).toHaveLength(1);
  });

  it('arriving before the Checkout session is kept and applied with the top-up', async () => {
    const reader = await newReader();
    const p = cardTopUp(reader, 600);
    expect(await ok(chargeRefunded(p.pi, 600, 200))).toMatchObject({ handled: true, pending: true, movedMicros: 0 });
    expect(await ok(chargeRefunded(p.pi, 600, 200))).toMatchObject({ pending: true });
    expect(await balanceOf(reader)).toBe(0);
    expect(await ledgerOf(reader)).toEqual([]);
    await ok(p.session);
    await ok(p.session);
    expect(await balanceOf(reader)).toBe(4_000_000);
    const entries = await ledgerOf(reader);
    expect(entries.map((e) => [e.type, e.amountMicros])).toEqual([
      ['reversal', 2_000_000],
      ['topup', 6_000_000],
    ]);
    expectChained(entries);
  });

  it('ignores refunds of payments that were no top-up, in another currency or without a payment_intent', async () => {
    const reader = await newReader();
    const p = cardTopUp(reader, 500);
    await ok(p.session);
    expect(await ok(chargeRefunded(p.pi, 500, 500, 'eur'))).toMatchObject({ handled: false, reason: 'unsupported_currency' });
    expect(await ok(chargeRefunded(null, 500, 500))).toMatchObject({ handled: false, reason: 'no_payment_intent' });
    expect(await balanceOf(reader)).toBe(5_000_000);
  });

  it('is a 400 naming the problem when the charge cannot be read, and nothing changes', async () => {
    const reader = await newReader();
    const p = cardTopUp(reader, 500);
    await ok(p.session);
    const bad = chargeRefunded(p.pi, 500, 500);
    (bad.data.object as Record<string, unknown>).amount_refunded = '500';
    const res = await deliverEvent(bad);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_event' });
    expect(await balanceOf(reader)).toBe(5_000_000);
  });

  it('never takes back a demo top-up or credit, only the card payment named', async () => {
    const reader = await newReader(2_000_000);
    const p = cardTopUp(reader, 500);
    await ok(p.session);
    await ok(chargeRefunded(p.pi, 500, 500));
    expect(await balanceOf(reader)).toBe(2_000_000);
  });
});

describe('disputes', () => {
  it('a dispute opened takes the disputed amount back; won, it is reinstated; delivered again, nothing moves', async () => {
    const reader = await newReader();
    const p = cardTopUp(reader, 1000);
    await ok(p.session);
    const dispute = { id: uid('dp'), paymentIntent: p.pi, amountCents: 1000 };
    await ok(disputeEvent('created', dispute));
    await ok(disputeEvent('created', dispute));
    expect(await balanceOf(reader)).toBe(0);
    await ok(disputeEvent('closed', { ...dispute, status: 'won' }));
    await ok(disputeEvent('closed', { ...dispute, status: 'won' }));
    await ok(disputeEvent('created', dispute));
    expect(await balanceOf(reader)).toBe(10_000_000);
    const entries = await ledgerOf(reader);
    expect(entries.map((e) => [e.type, e.amountMicros])).toEqual([
      ['reinstated', 10_000_000],
      ['reversal', 10_000_000],
      ['topup', 10_000_000],
    ]);
    expectChained(entries);
  });

  it('a dispute lost keeps what it took', async () => {
    const reader = await newReader();
    const p = cardTopUp(reader, 1000);
    await ok(p.session);
    const dispute = { id: uid('dp'), paymentIntent: p.pi, amountCents: 400 };
    await ok(disputeEvent('created', dispute));
    await ok(disputeEvent('closed', { ...dispute, status: 'lost' }));
    await ok(disputeEvent('created', dispute));
    expect(await balanceOf(reader)).toBe(6_000_000);
    expect(ofType(await ledgerOf(reader), 'reversal')).toHaveLength(1);
  });

  it('a won dispute takes nothing even when closed arrives before created', async () => {
    const reader = await newReader();
    const p = cardTopUp(reader, 1000);
    await ok(p.session);
    const dispute = { id: uid('dp'), paymentIntent: p.pi, amountCents: 1000 };
    await ok(disputeEvent('closed', { ...dispute, status: 'won' }));
    await ok(disputeEvent('created', dispute));
    expect(await balanceOf(reader)).toBe(10_000_000);
    expect(await ledgerOf(reader)).toHaveLength(1);
  });

  it('a refund and a dispute of the same payment never take more than was paid', async () => {
    const reader = await newReader();
    const p = cardTopUp(reader, 1000);
    await ok(p.session);
    const dispute = { id: uid('dp'), paymentIntent: p.pi, amountCents: 1000 };
    await ok(chargeRefunded(p.pi, 1000, 600));
    await ok(disputeEvent('created', dispute));
    expect(await balanceOf(reader)).toBe(0);
    await ok(disputeEvent('closed', { ...dispute, status: 'lost' }));
    expect(await balanceOf(reader)).toBe(0);
    const entries = await ledgerOf(reader);
    expect(ofType(entries, 'reversal').reduce((s, e) => s + e.amountMicros, 0)).toBe(10_000_000);
    expectChained(entries);
  });

  it('a won dispute after a partial refund gives back only what the dispute took', async () => {
    const reader = await newReader();
    const p = cardTopUp(reader, 1000);
    await ok(p.session);
    const dispute = { id: uid('dp'), paymentIntent: p.pi, amountCents: 700 };
    await ok(chargeRefunded(p.pi, 1000, 300));
    await ok(disputeEvent('created', dispute));
    expect(await balanceOf(reader)).toBe(0);
    await ok(disputeEvent('closed', { ...dispute, status: 'won' }));
    expect(await balanceOf(reader)).toBe(7_000_000);
  });

  it('reads a dispute without an id or a status as Stripe would mean it: one dispute per charge, closed without "won" is lost', async () => {
    const reader = await newReader();
    const p = cardTopUp(reader, 1000);
    await ok(p.session);
    const bare = (kind: 'created' | 'closed') => {
      const e = disputeEvent(kind, { id: 'unused', paymentIntent: p.pi, amountCents: 400 });
      const o = e.data.object as Record<string, unknown>;
      delete o.id;
      delete o.status;
      return e;
    };
    await ok(bare('created'));
    await ok(bare('created'));
    expect(await balanceOf(reader)).toBe(6_000_000);
    await ok(bare('closed'));
    expect(await balanceOf(reader)).toBe(6_000_000);
    const won = disputeEvent('closed', { id: 'unused', paymentIntent: p.pi, amountCents: 400, status: 'won' });
    delete (won.data.object as Record<string, unknown>).id;
    await ok(won);
    expect(await balanceOf(reader)).toBe(10_000_000);
  });

  it('a dispute that arrives before its Checkout session is applied with the top-up', async () => {
    const reader = await newReader();
    const p = cardTopUp(reader, 500);
    const dispute = { id: uid('dp'), paymentIntent: p.pi, amountCents: 500 };
    await ok(disputeEvent('created', dispute));
    await ok(p.session);
    expect(await balanceOf(reader)).toBe(0);
    await ok(disputeEvent('closed', { ...dispute, status: 'won' }));
    expect(await balanceOf(reader)).toBe(5_000_000);
  });
});

describe("the operator's list of wallets in debt", () => {
  it('lists a reader a reversal took below zero, in the API and the console, until a top-up pays the debt', async () => {
    const [debtor, other] = [await newReader(), await newReader()];
    const p = cardTopUp(debtor, 500);
    await ok(p.session);
    await ok(cardTopUp(other, 500).session);
    await useStandardSite();
    expect((await view('/premium/a', debtor)).status).toBe(200);
    await ok(chargeRefunded(p.pi, 500, 500));

    const listed = async () =>
      (
        await (
          await adminCall('/__paywall/api/admin/readers-in-debt', { headers: ADMIN })
        ).json<{ readers: { readerId: string; balanceMicros: number }[] }>()
      ).readers;
    expect(await listed()).toEqual([expect.objectContaining({ readerId: debtor.readerId, balanceMicros: -10_000 })]);
    expect((await adminCall('/__paywall/api/admin/readers-in-debt')).status).toBe(401);
    const { html } = await page(`${CONSOLE}/debts`, await signIn());
    expect(html).toContain(debtor.readerId);
    expect(html).toContain('−$0.01');
    expect(html).not.toContain(other.readerId);

    await topUp(debtor, 10_000);
    expect(await listed()).toEqual([]);
    expect((await page(`${CONSOLE}/debts`, await signIn())).html).toContain('No wallet is in debt.');
  });
});

describe('any order, any repeats (property)', () => {
  it('the final balance is the credits minus what Stripe finally took back, whatever the order and however often delivered', async () => {
    await useStandardSite();
    const disputeArb = fc.record({ share: fc.integer({ min: 1, max: 100 }), final: fc.constantFrom('won', 'lost', 'open') });
    const paymentArb = fc.record({
      cents: fc.integer({ min: 50, max: 5_000 }),
      // Stripe's running refund totals: each event reports the total so far.
      refundSteps: fc.array(fc.integer({ min: 1, max: 100 }), { maxLength: 3 }),
      dispute: fc.option(disputeArb, { nil: null }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(paymentArb, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 40, maxLength: 40 }),
        fc.infiniteStream(fc.nat()),
        fc.integer({ min: 1, max: 4 }),
        async (payments, views, repeats, order, batchSize) => {
          const reader = await newReader();
          const events: unknown[] = [];
          let expected = 0;
          for (const spec of payments) {
            const p = cardTopUp(reader, spec.cents);
            events.push(p.session);
            let refunded = 0;
            for (const step of spec.refundSteps) {
              refunded = Math.min(spec.cents, refunded + Math.ceil((spec.cents * step) / 300));
              events.push(chargeRefunded(p.pi, spec.cents, refunded));
            }
            let disputedHeld = 0;
            if (spec.dispute) {
              const amountCents = Math.max(1, Math.floor(((spec.cents - refunded) * spec.dispute.share) / 100));
              const d = { id: uid('dp'), paymentIntent: p.pi, amountCents };
              events.push(disputeEvent('created', d));
              if (spec.dispute.final !== 'open') events.push(disputeEvent('closed', { ...d, status: spec.dispute.final }));
              if (spec.dispute.final !== 'won') disputedHeld = amountCents;
            }
            // What Stripe finally took back: the refunds and a dispute not won, never more than was paid.
            const taken = Math.min(spec.cents, refunded + disputedHeld);
            expected += (spec.cents - taken) * CENT;
          }
          // Each event delivered one to three times, shuffled, in concurrent batches.
          const deliveries = events.flatMap((e, i) => Array(1 + repeats[i % repeats.length]!).fill(e));
          const it = order[Symbol.iterator]();
          for (let i = deliveries.length - 1; i > 0; i--) {
            const j = it.next().value! % (i + 1);
            [deliveries[i], deliveries[j]] = [deliveries[j], deliveries[i]];
          }
          let viewed = 0;
          for (let i = 0; i < deliveries.length; i += batchSize) {
            const batch = deliveries.slice(i, i + batchSize);
            const statuses = await Promise.all(batch.map(async (e) => (await deliverEvent(e)).status));
            expect(statuses.every((s) => s === 200)).toBe(true);
            // Views in between: spent money is spent whatever Stripe later takes back.
            if (viewed < views && (await view(`/premium/${i}`, reader)).status === 200) viewed++;
          }
          expect(await balanceOf(reader)).toBe(expected - viewed * 10_000);
          const entries = await ledgerOf(reader);
          expectChained(entries);
          // Only a reversal ever ends below zero among the money going out.
          for (const e of entries) if (e.balanceAfterMicros < 0 && MONEY_OUT.has(e.type)) expect(e.type).toBe('reversal');
        },
      ),
      { numRuns: 30 },
    );
    // Thirty runs of up to a few dozen signed deliveries each: far beyond the default 30 s on a loaded machine.
  }, 180_000);
});
