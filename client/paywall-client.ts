import {
  encodeBase64Json,
  formatUsd,
  readPaymentRequired,
  readReceipt,
  type PrepaidRequirements,
  type Receipt,
  type X402PaymentRequired,
} from './wire';

/**
 * How the reader token and the price ceiling travel:
 * - `paywall`: `Authorization: Bearer` and `Paywall-Max-Price-Micros`, one round trip;
 * - `crawler`: `Authorization: Bearer` and pay per crawl's `crawler-max-price`;
 * - `x402`: ask without paying, read the 402's PAYMENT-REQUIRED, then pay the quoted
 *   price with PAYMENT-SIGNATURE (the `prepaid` scheme, with a payment-identifier).
 */
export type Protocol = 'paywall' | 'crawler' | 'x402';

export type PaywallClientOptions = {
  /** The reader token from `POST /__paywall/api/readers`. */
  token: string;
  /** The most this client will ever be charged, in micros (1 USD = 1,000,000). */
  budgetMicros: number;
  protocol?: Protocol;
  /** Defaults to the global fetch; in a Worker test, `(r) => exports.default.fetch(r)`. */
  fetch?: (request: Request) => Promise<Response>;
  /** Further attempts after a network failure or a 502/503/504, with the same idempotency key. Default 2. */
  retries?: number;
  /** Wait before the first retry, doubled for each next one. Default 250 ms. */
  retryDelayMs?: number;
  newIdempotencyKey?: () => string;
};

export type PaywallRequestInit = RequestInit & {
  /** A ceiling for this request below what is left of the budget (e.g. a price from the manifest), so that requests can run side by side. */
  maxPriceMicros?: number;
};

/** Raised when the outcome of a request is unknown after every retry; its allowance stays counted as spent. */
export class PaymentOutcomeUnknown extends Error {
  readonly url: string;
  readonly allowanceMicros: number;
  constructor(url: string, allowanceMicros: number, cause: unknown) {
    super(`No answer for ${url} after every retry; up to ${allowanceMicros} micros may have been charged.`, { cause });
    this.url = url;
    this.allowanceMicros = allowanceMicros;
  }
}

class NoAnswer extends Error {
  readonly paying: boolean;
  constructor(paying: boolean, cause: unknown) {
    super('no answer', { cause });
    this.paying = paying;
  }
}

const RETRIED_STATUSES = new Set([502, 503, 504]);

/**
 * A fetch that pays for priced views from a prepaid balance and never lets the sum of
 * charges exceed its budget. Each request carries a ceiling no higher than what is left
 * of the budget once every request in flight has its own ceiling set aside, so even
 * concurrent requests cannot overspend; the server refuses (402, nothing charged) a
 * price above the ceiling. Retries reuse one idempotency key, so a request is charged
 * at most once however often it is sent.
 */
export class PaywallClient {
  readonly receipts: Receipt[] = [];
  private spent = 0;
  private reserved = 0;
  private readonly seen = new Set<string>();
  private readonly send: (request: Request) => Promise<Response>;
  private readonly options: PaywallClientOptions;

  constructor(options: PaywallClientOptions) {
    this.options = options;
    if (!Number.isSafeInteger(options.budgetMicros) || options.budgetMicros < 0)
      throw new RangeError('budgetMicros must be a non-negative integer');
    this.send = options.fetch ?? ((r) => fetch(r));
  }

  /** Charged so far, as the answers reported it (plus any allowance whose outcome stayed unknown). */
  get spentMicros(): number {
    return this.spent;
  }

  /** What can still be committed to a new request. */
  get availableMicros(): number {
    return this.options.budgetMicros - this.spent - this.reserved;
  }

  async fetch(input: RequestInfo | URL, init: PaywallRequestInit = {}): Promise<Response> {
    const { maxPriceMicros, ...requestInit } = init;
    const template = new Request(input, requestInit);
    const allowance = Math.max(0, Math.min(this.availableMicros, maxPriceMicros ?? Number.MAX_SAFE_INTEGER));
    this.reserved += allowance;
    try {
      const key = template.headers.get('idempotency-key') ?? this.newKey();
      const response = await this.exchange(template, allowance, key);
      this.record(response, template.url);
      return response;
    } catch (e) {
      if (!(e instanceof NoAnswer)) throw e;
      if (!e.paying) throw e.cause;
      // A charge may have been made; counting the allowance keeps the budget a hard limit.
      this.spent += allowance;
      throw new PaymentOutcomeUnknown(template.url, allowance, e.cause);
    } finally {
      this.reserved -= allowance;
    }
  }

  private async exchange(template: Request, allowance: number, key: string): Promise<Response> {
    const { protocol = 'paywall', token } = this.options;
    if (protocol !== 'x402') {
      const headers = new Headers(template.headers);
      headers.set('authorization', `Bearer ${token}`);
      headers.set('idempotency-key', key);
      if (protocol === 'crawler') headers.set('crawler-max-price', formatUsd(allowance));
      else headers.set('paywall-max-price-micros', String(allowance));
      return this.withRetries(template, headers, true);
    }

    // x402: the first answer tells the price; pay only what it quotes, and only within the allowance.
    const first = await this.withRetries(template, new Headers(template.headers), false);
    const quote = await readPaymentRequired(first);
    const offer = quote?.x402?.accepts.find((a) => a.scheme === 'prepaid');
    if (!quote?.x402 || !offer) return first;
    const price = Number(offer.amount);
    if (!Number.isSafeInteger(price) || price > allowance) return first;
    await first.body?.cancel();
    const headers = new Headers(template.headers);
    headers.set('payment-signature', encodeBase64Json(this.paymentPayload(quote.x402, offer, key)));
    return this.withRetries(template, headers, true);
  }

  private paymentPayload(required: X402PaymentRequired, offer: PrepaidRequirements, key: string) {
    const extensions: Record<string, unknown> = {};
    const declared = required.extensions?.['payment-identifier'] as { info?: Record<string, unknown>; schema?: unknown } | undefined;
    if (declared) extensions['payment-identifier'] = { ...declared, info: { ...declared.info, id: key } };
    return {
      x402Version: 2,
      ...(required.resource ? { resource: required.resource } : {}),
      accepted: offer,
      payload: { token: this.options.token },
      extensions,
    };
  }

  /** `paying`: whether the request can be charged, so that losing its answer leaves the charge unknown. */
  private async withRetries(template: Request, headers: Headers, paying: boolean): Promise<Response> {
    const retries = this.options.retries ?? 2;
    let delay = this.options.retryDelayMs ?? 250;
    let lastError: unknown = null;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        await new Promise((r) => setTimeout(r, delay));
        delay *= 2;
      }
      try {
        const response = await this.send(new Request(template.clone(), { headers }));
        if (!RETRIED_STATUSES.has(response.status) || attempt === retries) return response;
        await response.body?.cancel();
      } catch (e) {
        lastError = e;
      }
    }
    throw new NoAnswer(paying, lastError);
  }

  private record(response: Response, url: string): void {
    const receipt = readReceipt(response, url);
    if (!receipt) return;
    this.receipts.push(receipt);
    // A re-view or a replay names a receipt already counted; a replay of a charge whose
    // first answer was lost names one that is not, and then it is counted now.
    if (this.seen.has(receipt.receipt)) return;
    this.seen.add(receipt.receipt);
    this.spent += receipt.chargedMicros;
  }

  private newKey(): string {
    return this.options.newIdempotencyKey?.() ?? `pay_${crypto.randomUUID().replace(/-/g, '')}`;
  }
}
