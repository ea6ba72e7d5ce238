import { reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { finishPendingWithdrawals, refundIdempotencyKey } from '../../src/stripe/withdraw';
import { walletOf } from '../../src/wallet/wallet-stub';
import {
  balanceOf,
  call,
  HOST,
  json,
  ledgerOf,
  newReader,
  useStandardSite,
  view,
  WALLET_HOST,
  walletCall,
  walletCookie,
  type Reader,
} from '../support/paywall';
import type { RefundFault } from '../support/stripe-standin';
import { chargeRefunded, checkoutCompleted, deliverEvent } from '../support/stripe-events';

afterEach(() => reset());

let counter = 0;
const uid = (prefix: string) => `${prefix}_test_${++counter}_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`;
const CENT = 10_000;

type StandinRefund = { id: string; amount: number; payment_intent: string; metadata: Record<string, string> };

/** A card top-up as Stripe completes it, the charge registered with the stand-in so it refuses refunds beyond it. */
async function cardTopUp(reader: Reader, cents: number): Promise<string> {
  const pi = uid('pi');
  await standin('/__standin/charges', { payment_intent: pi, amount: cents });
  const res = await deliverEvent(
    checkoutCompleted({ id: uid('cs'), client_reference_id: reader.readerId, amount_total: cents, payment_intent: pi }),
  );
  expect(res.status).toBe(200);
  return pi;
}

async function standin(path: string, body: unknown) {
  const res = await fetch(`${env.STRIPE_API_BASE}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

const fail = (pi: string, ...faults: RefundFault[]) => standin('/__standin/faults', { payment_intent: pi, faults });

async function refundsAtStripe(pi: string): Promise<StandinRefund[]> {
  const res = await fetch(`${env.STRIPE_API_BASE}/v1/refunds?payment_intent=${pi}`, {
    headers: { authorization: `Bearer ${env.STRIPE_SECRET_KEY}` },
  });
  return (await res.json<{ data: StandinRefund[] }>()).data;
}
const refundedCents = async (pi: string) => (await refundsAtStripe(pi)).reduce((s, r) => s + r.amount, 0);

const withdraw = (reader: Reader, amountMicros: unknown) => call('/__paywall/api/me/withdraw', json({ amountMicros }, reader.auth));
const withdrawable = async (reader: Reader) =>
  (await (await call('/__paywall/api/me/withdrawable', { headers: reader.auth })).json<{ withdrawableMicros: number }>())
    .withdrawableMicros;

/** For the reader: what is left plus what went to the card equals what came in minus what was spent. */
async function expectConserved(reader: Reader, pis: string[], cameIn: number, spent: number) {
  let toCard = 0;
  for (const pi of pis) toCard += (await refundedCents(pi)) * CENT;
  expect((await balanceOf(reader)) + toCard).toBe(cameIn - spent);
}

describe('withdrawing unspent money', () => {
  it('refunds card top-ups newest first, never more than each one left, and never a demo top-up', async () => {
    await useStandardSite();
    const reader = await newReader(2_000_000);
    const older = await cardTopUp(reader, 500);
    const newer = await cardTopUp(reader, 300);
    expect((await view('/premium/a', reader)).status).toBe(200);
    expect(await withdrawable(reader)).toBe(8_000_000);

    const res = await withdraw(reader, 4_000_000);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      ok: true,
      withdrawnMicros: 4_000_000,
      pendingMicros: 0,
      returnedMicros: 0,
      balanceMicros: 5_990_000,
    });
    expect(await refundedCents(newer)).toBe(300);
    expect(await refundedCents(older)).toBe(100);
    const [refund] = await refundsAtStripe(older);
    expect(refund!.metadata).toMatchObject({ paywall_reader_id: reader.readerId });

    expect(await withdrawable(reader)).toBe(4_000_000);
    const all = await withdraw(reader, 4_000_000);
    expect(all.status).toBe(200);
    expect(await refundedCents(older)).toBe(500);
    expect(await balanceOf(reader)).toBe(1_990_000);
    // What is left came from the demo top-up: it stays.
    const more = await withdraw(reader, 10_000);
    expect(more.status).toBe(400);
    expect(await more.json()).toMatchObject({ error: 'not_withdrawable', field: 'amountMicros', withdrawableMicros: 0 });
    const withdrawals = (await ledgerOf(reader)).filter((e) => e.type === 'withdrawal');
    expect(withdrawals.map((e) => e.amountMicros)).toEqual([4_000_000, 1_000_000, 3_000_000]);
    await expectConserved(reader, [older, newer], 10_000_000, 10_000);
  });

  it('refuses bad amounts naming the field, a reader without a token, and more than is withdrawable; nothing changes', async () => {
    const reader = await newReader();
    const pi = await cardTopUp(reader, 500);
    for (const bad of ['100', -10_000, 1.5, 5_000, 0, 1e400, null]) {
      const res = await withdraw(reader, bad);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ field: 'amountMicros' });
    }
    expect((await call('/__paywall/api/me/withdraw', json({ amountMicros: 10_000 }))).status).toBe(401);
    expect((await withdraw(reader, 5_010_000)).status).toBe(400);
    expect(await balanceOf(reader)).toBe(5_000_000);
    expect(await refundsAtStripe(pi)).toEqual([]);
  });

  it("Stripe's later charge.refunded for our own refund takes nothing back a second time; a refund someone else made still does", async () => {
    const reader = await newReader();
    const pi = await cardTopUp(reader, 1000);
    expect((await withdraw(reader, 6_000_000)).status).toBe(200);
    expect(await balanceOf(reader)).toBe(4_000_000);
    // The dashboard refunds another $1: Stripe's events report running totals, delivered in any order.
    const ours = chargeRefunded(pi, 1000, 600);
    const both = chargeRefunded(pi, 1000, 700);
    for (const event of [both, ours, both, ours]) expect((await deliverEvent(event)).status).toBe(200);
    expect(await balanceOf(reader)).toBe(3_000_000);
    expect((await ledgerOf(reader)).filter((e) => e.type === 'reversal').map((e) => e.amountMicros)).toEqual([1_000_000]);
    expect(await withdrawable(reader)).toBe(3_000_000);
  });

  it('a refund someone else made before our withdrawal is not counted twice either', async () => {
    const reader = await newReader();
    const pi = await cardTopUp(reader, 1000);
    await standin('/__standin/charges', { payment_intent: pi, amount: 700 }); // the dashboard's $3 refund already made at Stripe
    expect((await deliverEvent(chargeRefunded(pi, 1000, 300))).status).toBe(200);
    expect(await withdrawable(reader)).toBe(7_000_000);
    expect((await withdraw(reader, 7_000_000)).status).toBe(200);
    for (const amount of [1000, 300, 1000]) expect((await deliverEvent(chargeRefunded(pi, 1000, amount))).status).toBe(200);
    expect(await balanceOf(reader)).toBe(0);
  });
});

describe("the account page's withdraw form, on the wallet host", () => {
  const postWithdraw = (reader: Reader, amount: string, host = WALLET_HOST, cookie = walletCookie(reader)) =>
    call(
      '/__paywall/account/withdraw',
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: `http://${host}`, ...cookie },
        body: new URLSearchParams({ amount }),
        redirect: 'manual',
      },
      host,
    );
  const accountHtml = async (reader: Reader, query = '') =>
    (await walletCall(`/__paywall/account${query}`, { headers: { accept: 'text/html', ...walletCookie(reader) } })).text();

  it('offers what card top-ups left, refunds it in one click, and says plainly when nothing can be withdrawn', async () => {
    const reader = await newReader(1_000_000);
    expect(await accountHtml(reader)).toContain('Nothing to withdraw: only unspent money from card top-ups');
    const pi = await cardTopUp(reader, 700);
    const html = await accountHtml(reader);
    expect(html).toContain('Up to $7.00 can be refunded');
    expect(html).toMatch(/<input[^>]*id="withdraw-amount"[^>]*value="7.00"/);

    const bad = await postWithdraw(reader, '7.001');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('whole cents');
    const tooMuch = await postWithdraw(reader, '8.00');
    expect(tooMuch.status).toBe(400);
    expect(await tooMuch.text()).toContain('At most $7.00 can go back to your card now.');

    const res = await postWithdraw(reader, '7.00');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/__paywall/account?notice=withdrawn');
    expect(await refundedCents(pi)).toBe(700);
    expect(await balanceOf(reader)).toBe(1_000_000);
    expect(await accountHtml(reader, '?notice=withdrawn')).toContain('Refunded to your card');
  });

  it('is refused on a publisher host, even with a full reader token in its cookie: nothing goes back to the card', async () => {
    const reader = await newReader();
    const pi = await cardTopUp(reader, 700);
    const res = await postWithdraw(reader, '7.00', HOST, { cookie: `paywall_token=${reader.token}` });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'wallet_host_only' });
    expect(await refundsAtStripe(pi)).toEqual([]);
    expect(await balanceOf(reader)).toBe(7_000_000);
    expect(await withdrawable(reader)).toBe(7_000_000);
  });
});

describe('withdrawals under faults', () => {
  it('Stripe refusing for good (a 400) voids the part: the money is back in the balance, and nothing reached the card', async () => {
    const reader = await newReader();
    const pi = await cardTopUp(reader, 500);
    await fail(pi, 'decline');
    const res = await withdraw(reader, 5_000_000);
    expect(await res.json()).toMatchObject({ ok: true, withdrawnMicros: 0, returnedMicros: 5_000_000, balanceMicros: 5_000_000 });
    expect(await refundsAtStripe(pi)).toEqual([]);
    const [back, out] = await ledgerOf(reader);
    expect(out).toMatchObject({ type: 'withdrawal', amountMicros: 5_000_000 });
    expect(back).toMatchObject({ type: 'credit', amountMicros: 5_000_000, balanceAfterMicros: 5_000_000 });
    expect(await withdrawable(reader)).toBe(5_000_000);
  });

  it('Stripe failing before it refunds, on every try: the part stays pending, held out of the balance, and is finished later once', async () => {
    const reader = await newReader();
    const pi = await cardTopUp(reader, 500);
    await fail(pi, 'before', 'before', 'before');
    expect(await (await withdraw(reader, 2_000_000)).json()).toMatchObject({
      withdrawnMicros: 0,
      pendingMicros: 2_000_000,
      balanceMicros: 3_000_000,
    });
    expect(await refundsAtStripe(pi)).toEqual([]);
    expect(await withdrawable(reader)).toBe(3_000_000);
    expect(await finishPendingWithdrawals(env, reader.readerId, 0)).toEqual(['done']);
    expect(await finishPendingWithdrawals(env, reader.readerId, 0)).toEqual([]);
    expect(await refundedCents(pi)).toBe(200);
    await expectConserved(reader, [pi], 5_000_000, 0);
  });

  it('Stripe refunding but its answer lost (a 500 or a dropped connection after): one refund, confirmed, never two', async () => {
    const reader = await newReader();
    const pi = await cardTopUp(reader, 500);
    await fail(pi, 'after', 'after', 'after');
    expect(await (await withdraw(reader, 1_000_000)).json()).toMatchObject({ withdrawnMicros: 0, pendingMicros: 1_000_000 });
    expect(await refundsAtStripe(pi)).toHaveLength(1);
    expect(await finishPendingWithdrawals(env, reader.readerId, 0)).toEqual(['done']);
    expect(await refundsAtStripe(pi)).toHaveLength(1);

    // The SDK's own retry carries the same idempotency key: a dropped answer is found again, not refunded again.
    await fail(pi, 'drop-after');
    expect(await (await withdraw(reader, 1_000_000)).json()).toMatchObject({ withdrawnMicros: 1_000_000, pendingMicros: 0 });
    expect(await refundedCents(pi)).toBe(200);
    expect(await balanceOf(reader)).toBe(3_000_000);
    await expectConserved(reader, [pi], 5_000_000, 0);
  });

  it('a Worker that died after writing the withdrawal, before or after calling Stripe, is finished by the next one', async () => {
    const reader = await newReader();
    const pi = await cardTopUp(reader, 500);
    const wallet = walletOf(env, reader.readerId);
    // Died before calling Stripe.
    const first = await wallet.beginWithdrawal(1_000_000);
    expect(first.ok).toBe(true);
    // Died after Stripe refunded, before confirming: the refund exists with our key and metadata.
    const second = await wallet.beginWithdrawal(2_000_000);
    if (!second.ok) throw new Error('begin failed');
    const part = second.parts[0]!;
    const made = await fetch(`${env.STRIPE_API_BASE}/v1/refunds`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${env.STRIPE_SECRET_KEY}`,
        'content-type': 'application/x-www-form-urlencoded',
        'idempotency-key': refundIdempotencyKey(part.partId),
      },
      body: new URLSearchParams({ payment_intent: pi, amount: '200', 'metadata[paywall_withdrawal_part]': part.partId }),
    });
    expect(made.status).toBe(200);
    expect(await balanceOf(reader)).toBe(2_000_000);
    expect((await finishPendingWithdrawals(env, reader.readerId, 0)).sort()).toEqual(['done', 'done']);
    expect(await refundedCents(pi)).toBe(300);
    expect(await refundsAtStripe(pi)).toHaveLength(2);
    await expectConserved(reader, [pi], 5_000_000, 0);
  });

  it('any mix of withdrawals, faults, finishing and Stripe events conserves money: nothing lost, nothing refunded twice (property)', async () => {
    const faultArb = fc.constantFrom<RefundFault | 'none'>('none', 'none', 'before', 'after', 'drop-after', 'decline');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 50, max: 2_000 }), { minLength: 1, maxLength: 3 }),
        fc.array(
          fc.record({ cents: fc.integer({ min: 1, max: 1_500 }), faults: fc.array(faultArb, { maxLength: 2 }), finish: fc.boolean() }),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        async (topups, steps) => {
          const reader = await newReader(1_000_000);
          const pis: string[] = [];
          for (const cents of topups) pis.push(await cardTopUp(reader, cents));
          const paid = topups.reduce((s, c) => s + c, 0) * CENT;
          for (const step of steps) {
            for (const pi of pis) await fail(pi, ...step.faults.filter((f): f is RefundFault => f !== 'none'));
            const res = await withdraw(reader, step.cents * CENT);
            expect([200, 400]).toContain(res.status);
            if (step.finish) await finishPendingWithdrawals(env, reader.readerId, 0);
            // Stripe reports every refund made so far: none of it is taken back again.
            for (const pi of pis) expect((await deliverEvent(chargeRefunded(pi, 0, await refundedCents(pi)))).status).toBe(200);
            await expectConserved(reader, pis, paid + 1_000_000, 0);
          }
          for (const pi of pis) await standin('/__standin/faults', { payment_intent: pi, faults: [], replace: true });
          await finishPendingWithdrawals(env, reader.readerId, 0);
          await finishPendingWithdrawals(env, reader.readerId, 0);
          expect(await walletOf(env, reader.readerId).pendingWithdrawalParts(0)).toEqual([]);
          await expectConserved(reader, pis, paid + 1_000_000, 0);
          // Every withdrawal entry not returned is a refund at Stripe, and the other way round.
          const entries = await ledgerOf(reader);
          const out = entries.filter((e) => e.type === 'withdrawal').reduce((s, e) => s + e.amountMicros, 0);
          const back = entries.filter((e) => e.type === 'credit').reduce((s, e) => s + e.amountMicros, 0);
          let toCard = 0;
          for (const pi of pis) toCard += (await refundedCents(pi)) * CENT;
          expect(out - back).toBe(toCard);
        },
      ),
      // Each fault costs the SDK's own retry back-off (about a second), hence few runs.
      { numRuns: 8 },
    );
  }, 180_000);
});
