/**
 * What a priced view came to, as the view handler records it on the request's context for
 * the protocol middlewares (x402, pay per crawl), which report it in their own terms once
 * the answer is made. Types only, so that any module may name them without importing the
 * modules that make or read them.
 */

/** What a priced view settled at; `receipt` is null for a HEAD inside a re-view window. */
export type Charge = {
  readerId: string;
  host: string;
  path: string;
  chargedMicros: number;
  balanceMicros: number;
  receipt: string | null;
  replay: boolean;
  /** The site opted in to the receipt bar (its document's `receiptBar`). */
  receiptBar: boolean;
  /** The title the charge was written with (this isolate knew the page); another one read from the page is written after. */
  titleOnCharge?: string;
  /** A view spent from a lease (src/paywall/spend-leases.ts) and not yet reported: its title and a body broken off stay local. */
  unreported?: { keepTitle(title: string): boolean; dropUnreported(): boolean };
};

/** Why a priced view is a 402 (the JSON body's `error`). */
export type PaymentRequiredReason = 'payment_required' | 'insufficient_balance' | 'daily_cap_reached' | 'price_above_max';

/** A priced path as the handler found it: whose it is, what it costs and for how long a charge covers it. */
export type PricedView = { host: string; path: string; priceMicros: number; reviewWindowSeconds: number | undefined };

export type ViewOutcome =
  /** The 402: nothing charged. `missingCrawlerPrice`: a crawler paying by its signature alone stated no price. */
  | { refused: PaymentRequiredReason; view: PricedView; missingCrawlerPrice: boolean }
  /** The origin's answer with a charge (0 inside a re-view window). */
  | { charged: Charge };

/** The context variable the view handler sets; undefined for a free view or one that failed. */
export type ViewOutcomeVariables = { viewOutcome: ViewOutcome | undefined };
