import { MigratedObject } from '../storage/migrated-object';
import type { PaymentFact } from '../wallet/card-payments';
import { paymentIndexSchema } from './payment-index-schema';

export type RouteResult = { linked: true; readerId: string } | { linked: false };

/**
 * Which reader a card payment (a Stripe payment_intent) topped up: one object per
 * payment_intent. A Durable Object rather than KV, because a refund may arrive at
 * another location seconds after the top-up, and KV could answer "unknown" there for
 * up to a minute. Stripe does not promise order either: a refund or dispute that
 * arrives before the Checkout session is kept here, and handed over when it does.
 * Both methods are synchronous, so a fact is either kept before the link is made (and
 * handed over by it) or routed after it: never lost in between.
 */
export class PaymentIndex extends MigratedObject {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, paymentIndexSchema);
  }

  /** Links the payment to its reader (the first link stands) and hands over every fact that came first. */
  link(readerId: string): { readerId: string; earlyFacts: PaymentFact[] } {
    this.sql.exec('INSERT OR IGNORE INTO link (k, reader_id) VALUES (1, ?)', readerId);
    const linked = this.readerId()!;
    // Kept after the hand-over: if applying them fails, the Checkout event is retried and hands them over again.
    const earlyFacts = this.sql
      .exec<{ fact: string }>('SELECT fact FROM early_facts ORDER BY seq')
      .toArray()
      .map((r) => JSON.parse(r.fact) as PaymentFact);
    return { readerId: linked, earlyFacts };
  }

  /** The reader to apply a fact to, or, before the payment is linked, keeps the fact for the link. */
  route(fact: PaymentFact): RouteResult {
    const readerId = this.readerId();
    if (readerId !== null) return { linked: true, readerId };
    this.sql.exec('INSERT OR IGNORE INTO early_facts (fact) VALUES (?)', JSON.stringify(fact));
    return { linked: false };
  }

  private readerId(): string | null {
    return this.sql.exec<{ reader_id: string }>('SELECT reader_id FROM link WHERE k = 1').toArray()[0]?.reader_id ?? null;
  }
}

export function paymentIndexOf(env: Env, paymentIntent: string) {
  return env.PAYMENT_INDEX.get(env.PAYMENT_INDEX.idFromName(paymentIntent));
}
