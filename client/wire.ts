/**
 * What the client reads and writes on the wire: the paywall's own headers, x402 v2's
 * base64 JSON headers and pay per crawl's `USD <amount>` notation. No dependencies, and
 * only what Workers and Node 22 both have (fetch, btoa/atob, TextEncoder).
 */

export const MICROS_PER_USD = 1_000_000;

/** The `prepaid` requirements as a 402's PAYMENT-REQUIRED offers them. */
export type PrepaidRequirements = {
  scheme: string;
  network: string;
  asset: string;
  amount: string;
  payTo: string;
  maxTimeoutSeconds?: number;
  extra?: Record<string, unknown>;
};

export type X402PaymentRequired = {
  x402Version: number;
  error?: string;
  resource?: { url: string; description?: string; mimeType?: string };
  accepts: PrepaidRequirements[];
  extensions?: Record<string, unknown>;
};

export type X402Settlement = { success: boolean; transaction: string; network: string; payer?: string; errorReason?: string };

/** Why a priced view was refused, and what it costs. */
export type PaymentRequired = {
  priceMicros: number;
  /** `payment_required`, `insufficient_balance`, `daily_cap_reached` or `price_above_max`, when the body was JSON. */
  reason: string | null;
  balanceMicros: number | null;
  crawlerError: string | null;
  x402: X402PaymentRequired | null;
};

/** A charge as the answer reports it. */
export type Receipt = {
  url: string;
  receipt: string;
  chargedMicros: number;
  balanceMicros: number | null;
  /** The same idempotency key was charged before; this answer repeats that charge, it is not a new one. */
  replayed: boolean;
};

export function formatUsd(micros: number): string {
  const whole = Math.floor(micros / MICROS_PER_USD);
  const fraction = String(micros % MICROS_PER_USD)
    .padStart(6, '0')
    .replace(/0{1,4}$/, '');
  return `USD ${whole}.${fraction}`;
}

export function parseUsd(value: string | null): number | null {
  const m = value === null ? null : /^USD[ \t]+(\d{1,10})(?:\.(\d{1,6}))?$/.exec(value.trim());
  if (!m) return null;
  return Number(m[1]) * MICROS_PER_USD + Number((m[2] ?? '').padEnd(6, '0'));
}

function micros(value: string | null): number | null {
  if (value === null || !/^\d{1,16}$/.test(value.trim())) return null;
  const n = Number(value.trim());
  return Number.isSafeInteger(n) ? n : null;
}

export function encodeBase64Json(value: unknown): string {
  let binary = '';
  for (const b of new TextEncoder().encode(JSON.stringify(value))) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function decodeBase64Json<T>(value: string | null): T | null {
  if (value === null) return null;
  try {
    const binary = atob(value.trim());
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)))) as T;
  } catch {
    return null;
  }
}

/** The charge an answer reports, or null when it reports none (a free path, a 402, an error). */
export function readReceipt(response: Response, url = response.url): Receipt | null {
  const h = response.headers;
  const settlement = decodeBase64Json<X402Settlement>(h.get('payment-response'));
  const receipt = h.get('paywall-receipt') ?? (settlement?.success ? settlement.transaction : null);
  const charged = micros(h.get('paywall-charged-micros')) ?? parseUsd(h.get('crawler-charged'));
  if (!receipt || charged === null) return null;
  return {
    url,
    receipt,
    chargedMicros: charged,
    balanceMicros: micros(h.get('paywall-balance-micros')),
    replayed: h.get('idempotency-replayed') === 'true',
  };
}

/** What a 402 says, read without consuming the caller's body. */
export async function readPaymentRequired(response: Response): Promise<PaymentRequired | null> {
  if (response.status !== 402) return null;
  const h = response.headers;
  const x402 = decodeBase64Json<X402PaymentRequired>(h.get('payment-required'));
  const price = micros(h.get('paywall-price-micros')) ?? parseUsd(h.get('crawler-price')) ?? micros(x402?.accepts[0]?.amount ?? null);
  if (price === null) return null;
  let reason: string | null = null;
  let balanceMicros: number | null = null;
  if (/json/i.test(h.get('content-type') ?? '')) {
    const body = (await response
      .clone()
      .json()
      .catch(() => null)) as { error?: unknown; balanceMicros?: unknown } | null;
    if (typeof body?.error === 'string') reason = body.error;
    if (typeof body?.balanceMicros === 'number') balanceMicros = body.balanceMicros;
  }
  // Without a JSON body (an HTML paywall page), PAYMENT-REQUIRED's `error` starts with the reason code.
  reason ??= /^([a-z_]+):/.exec(x402?.error ?? '')?.[1] ?? null;
  return { priceMicros: price, reason, balanceMicros, crawlerError: h.get('crawler-error'), x402 };
}
