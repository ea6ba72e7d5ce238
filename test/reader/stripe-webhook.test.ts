import { createExecutionContext, reset, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { app } from '../../src/app';
import { checkoutCompleted, deliver, deliverEvent, signatureFor, WEBHOOK } from '../support/stripe-events';
import { balanceOf, ledgerOf, newReader, type Reader } from '../support/paywall';

afterEach(() => reset());

let sessionCounter = 0;
const sessionId = () => `cs_test_${++sessionCounter}_${crypto.randomUUID().replaceAll('-', '')}`;

function paid(reader: Reader | string | null, cents: number, id = sessionId()) {
  const readerId = typeof reader === 'string' || reader === null ? reader : reader.readerId;
  return checkoutCompleted({ id, client_reference_id: readerId, amount_total: cents });
}

async function topups(reader: Reader) {
  return (await ledgerOf(reader)).filter((e) => e.type === 'topup');
}

describe('a paid Checkout session', () => {
  it('credits amount_total cents × 10,000 micros to the reader in client_reference_id', async () => {
    const reader = await newReader();
    const res = await deliverEvent(paid(reader, 1234));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ received: true, credited: true });
    expect(await balanceOf(reader)).toBe(12_340_000);
    const [entry] = await topups(reader);
    expect(entry).toMatchObject({ type: 'topup', amountMicros: 12_340_000, balanceAfterMicros: 12_340_000 });
  });

  it('adds to what the reader already has and does not touch other readers', async () => {
    const [a, b] = [await newReader(7_000), await newReader(3_000)];
    expect((await deliverEvent(paid(a, 500))).status).toBe(200);
    expect(await balanceOf(a)).toBe(5_007_000);
    expect(await balanceOf(b)).toBe(3_000);
  });

  it('is credited once however often Stripe redelivers the event', async () => {
    const reader = await newReader();
    const event = paid(reader, 500);
    for (let i = 0; i < 5; i++) {
      const res = await deliverEvent(event);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ credited: i === 0 });
    }
    expect(await balanceOf(reader)).toBe(5_000_000);
    expect(await topups(reader)).toHaveLength(1);
  });

  it('is credited once when the same session arrives in different events', async () => {
    const reader = await newReader();
    const id = sessionId();
    await deliverEvent(paid(reader, 800, id));
    await deliverEvent(paid(reader, 800, id));
    expect(await balanceOf(reader)).toBe(8_000_000);
  });

  it('is credited once when deliveries arrive concurrently', async () => {
    const reader = await newReader();
    const event = paid(reader, 2_000);
    const responses = await Promise.all(Array.from({ length: 20 }, () => deliverEvent(event)));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    const bodies = await Promise.all(responses.map((r) => r.json<{ credited: boolean }>()));
    expect(bodies.filter((b) => b.credited)).toHaveLength(1);
    expect(await balanceOf(reader)).toBe(20_000_000);
    expect(await topups(reader)).toHaveLength(1);
  });

  it('credits exactly the sum of distinct sessions for any mix of deliveries and redeliveries', async () => {
    const readers = [await newReader(), await newReader(), await newReader()];
    const expected = new Map(readers.map((r) => [r.readerId, 0]));
    const credited = new Set<string>();
    const session = fc.record({ reader: fc.integer({ min: 0, max: readers.length - 1 }), cents: fc.integer({ min: 50, max: 50_000 }) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(session, { minLength: 1, maxLength: 6 }),
        // Each delivery names a session by index; a batch is delivered concurrently.
        fc.array(fc.array(fc.nat(), { maxLength: 6 }), { minLength: 1, maxLength: 4 }),
        // Stripe delivers every event at least once: in which batch each session surely is.
        fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
        async (sessions, batches, placements) => {
          const events = sessions.map((s) => paid(readers[s.reader]!, s.cents));
          const schedule = batches.map((b) => b.map((n) => n % events.length));
          events.forEach((_, i) => schedule[placements[i]! % schedule.length]!.push(i));
          for (const batch of schedule) {
            const responses = await Promise.all(batch.map((i) => deliverEvent(events[i]!)));
            expect(responses.every((r) => r.status === 200)).toBe(true);
          }
          sessions.forEach((s, i) => {
            const id = events[i]!.data.object.id;
            if (credited.has(id)) return;
            credited.add(id);
            const readerId = readers[s.reader]!.readerId;
            expected.set(readerId, expected.get(readerId)! + s.cents * 10_000);
          });
          for (const reader of readers) expect(await balanceOf(reader)).toBe(expected.get(reader.readerId));
        },
      ),
      { numRuns: 25 },
    );
    const entries = (await Promise.all(readers.map(topups))).flat();
    expect(entries).toHaveLength(credited.size);
  });
});

describe('signatures', () => {
  async function expectNothingCredited(reader: Reader, res: Response) {
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_signature' });
    expect(await balanceOf(reader)).toBe(0);
    expect(await ledgerOf(reader)).toEqual([]);
  }

  it('refuses a delivery without a Stripe-Signature header', async () => {
    const reader = await newReader();
    await expectNothingCredited(reader, await deliver(JSON.stringify(paid(reader, 500)), null));
  });

  it('refuses a malformed or forged signature', async () => {
    const reader = await newReader();
    const payload = JSON.stringify(paid(reader, 500));
    const now = Math.floor(Date.now() / 1000);
    for (const header of ['nonsense', `t=${now}`, `t=${now},v1=${'0'.repeat(64)}`, `t=${now},v0=${'a'.repeat(64)}`]) {
      await expectNothingCredited(reader, await deliver(payload, header));
    }
  });

  it('refuses a payload signed with another secret', async () => {
    const reader = await newReader();
    await expectNothingCredited(reader, await deliverEvent(paid(reader, 500), { secret: 'whsec_someone_else' }));
  });

  it('refuses a signature older than the default five-minute tolerance, and accepts one inside it', async () => {
    const reader = await newReader();
    const now = Math.floor(Date.now() / 1000);
    await expectNothingCredited(reader, await deliverEvent(paid(reader, 500), { timestamp: now - 301 }));
    await expectNothingCredited(reader, await deliverEvent(paid(reader, 500), { timestamp: now - 86_400 }));
    expect((await deliverEvent(paid(reader, 500), { timestamp: now - 240 })).status).toBe(200);
    expect(await balanceOf(reader)).toBe(5_000_000);
  });

  it('refuses a tampered body, even a one-character change', async () => {
    const reader = await newReader();
    const payload = JSON.stringify(paid(reader, 500));
    const signature = await signatureFor(payload);
    await expectNothingCredited(reader, await deliver(payload.replace('"amount_total":500', '"amount_total":900'), signature));
    await expectNothingCredited(reader, await deliver(`${payload} `, signature));
    expect((await deliver(payload, signature)).status).toBe(200);
    expect(await balanceOf(reader)).toBe(5_000_000);
  });

  it('refuses a replayed signature on another reader’s payload', async () => {
    const [victim, attacker] = [await newReader(), await newReader()];
    const original = JSON.stringify(paid(victim, 500));
    const signature = await signatureFor(original);
    await expectNothingCredited(attacker, await deliver(original.replaceAll(victim.readerId, attacker.readerId), signature));
  });
});

describe('events that credit nothing', () => {
  it('answers 200 to other event types and ignores them', async () => {
    const reader = await newReader();
    for (const type of ['payment_intent.succeeded', 'checkout.session.expired', 'checkout.session.async_payment_failed']) {
      const res = await deliverEvent(checkoutCompleted({ id: sessionId(), client_reference_id: reader.readerId, amount_total: 500 }, type));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ received: true, handled: false });
    }
    expect(await ledgerOf(reader)).toEqual([]);
  });

  it('does not credit a completed session that is not paid', async () => {
    const reader = await newReader();
    const event = checkoutCompleted({ id: sessionId(), client_reference_id: reader.readerId, amount_total: 500, payment_status: 'unpaid' });
    expect((await deliverEvent(event)).status).toBe(200);
    expect(await balanceOf(reader)).toBe(0);
  });

  it('answers 200 and logs an error for a reader that does not exist: no retry could credit it', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = await deliverEvent(paid('r_AAAAAAAAAAAAAAAAAAAAAA', 500));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ credited: false, reason: 'unknown_reader' });
    // One structured line (src/http/log.ts) that says the top-up was not credited, and names the reader.
    const logged = error.mock.calls.map((args) => String(args[0]));
    expect(
      logged.some((line) => line.includes('"event":"stripe_topup_not_credited"') && line.includes('"readerId":"r_AAAAAAAAAAAAAAAAAAAAAA"')),
    ).toBe(true);
    error.mockRestore();
  });

  it('ignores a paid session that names no paywall reader (another product on the same Stripe account)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    for (const ref of [null, 'order-1234']) {
      const res = await deliverEvent(paid(ref, 500));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ credited: false, reason: 'not_a_topup' });
    }
    warn.mockRestore();
  });

  it('does not credit a session in another currency', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const reader = await newReader();
    const event = checkoutCompleted({ id: sessionId(), client_reference_id: reader.readerId, amount_total: 500, currency: 'eur' });
    expect((await deliverEvent(event)).status).toBe(200);
    expect(await balanceOf(reader)).toBe(0);
    error.mockRestore();
  });

  it('is a 503 while STRIPE_WEBHOOK_SECRET is unset, so Stripe retries once it is', async () => {
    const reader = await newReader();
    const payload = JSON.stringify(paid(reader, 500));
    const request = new Request(`http://news.test${WEBHOOK}`, {
      method: 'POST',
      headers: { 'stripe-signature': await signatureFor(payload), 'content-type': 'application/json' },
      body: payload,
    });
    const ctx = createExecutionContext();
    const res = await app.fetch(request, { ...env, STRIPE_WEBHOOK_SECRET: undefined }, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect(await balanceOf(reader)).toBe(0);
  });
});
