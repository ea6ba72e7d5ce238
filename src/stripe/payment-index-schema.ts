import type { DurableObjectSchema } from '../storage/migrations';

/** The `PaymentIndex` object's tables (one object per Stripe payment_intent). Append a migration to change them. */
export const paymentIndexSchema: DurableObjectSchema = {
  name: 'PaymentIndex',
  migrations: [
    {
      version: 1,
      description: 'the reader a payment topped up; refunds and disputes that came before the Checkout event',
      up: `
CREATE TABLE link (k INTEGER PRIMARY KEY CHECK (k = 1), reader_id TEXT NOT NULL);
CREATE TABLE early_facts (seq INTEGER PRIMARY KEY, fact TEXT NOT NULL UNIQUE);
`,
    },
  ],
};
