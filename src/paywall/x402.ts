import { createMiddleware } from 'hono/factory';
import { z } from 'zod';
import { AppError } from '../http/app-error';
import { verifyToken } from '../reader/reader-token';
import type { PaymentRequiredReason, ViewOutcomeVariables } from './view-outcome';

/**
 * x402 version 2 over HTTP, with a prepaid balance as the payment scheme. The shapes are
 * those of the x402 v2 specification (`PaymentRequired`, `PaymentPayload`,
 * `SettlementResponse`), carried base64-encoded in `PAYMENT-REQUIRED`,
 * `PAYMENT-SIGNATURE` and `PAYMENT-RESPONSE` as its HTTP transport prescribes:
 * https://github.com/coinbase/x402/blob/main/specs/x402-specification-v2.md
 * https://github.com/coinbase/x402/blob/main/specs/transports-v2/http.md
 * https://github.com/coinbase/x402/blob/main/specs/extensions/payment_identifier.md
 *
 * Our scheme, `prepaid`: nothing is signed on a chain; the payload carries the reader's
 * token, and `accepted.amount` (micros) is the most the reader agrees to pay for this
 * request. The charge is the rule's price, taken from the reader's balance.
 *
 * The `x402` middleware reads a PAYMENT-SIGNATURE into the context before the view, and
 * writes the answer's PAYMENT-REQUIRED (a 402) or PAYMENT-RESPONSE (a settlement) after it.
 */
export const X402_VERSION = 2;
export const PAYMENT_REQUIRED = 'payment-required';
export const PAYMENT_SIGNATURE = 'payment-signature';
export const PAYMENT_RESPONSE = 'payment-response';
export const PREPAID_SCHEME = 'prepaid';
/** CAIP-2 form, as the spec asks of networks that are not chains: the paywall's own ledger. */
export const PREPAID_NETWORK = 'paywall:ledger';
/** ISO 4217; amounts are in micros of it (1 USD = 1,000,000). */
export const PREPAID_ASSET = 'USD';
/** How long a hold waits for the origin (the wallet's hold lifetime). */
export const PREPAID_TIMEOUT_SECONDS = 60;
export const PAYMENT_IDENTIFIER = 'payment-identifier';
const PAYMENT_ID = /^[A-Za-z0-9_-]{16,128}$/;
const MAX_HEADER_CHARS = 8192;

/** The extension as the spec's servers declare it: optional, ids of 16 to 128 characters. */
const paymentIdentifierDeclaration = {
  info: { required: false },
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      required: { type: 'boolean' },
      id: { type: 'string', minLength: 16, maxLength: 128, pattern: '^[a-zA-Z0-9_-]+$' },
    },
    required: ['required'],
  },
};

export type PrepaidRequirements = {
  scheme: typeof PREPAID_SCHEME;
  network: typeof PREPAID_NETWORK;
  asset: typeof PREPAID_ASSET;
  amount: string;
  payTo: string;
  maxTimeoutSeconds: number;
  extra: Record<string, unknown>;
};

export type PaymentRequiredInput = {
  /** The site's host: who is paid. */
  payTo: string;
  resourceUrl: string;
  priceMicros: number;
  error: string;
  /** Absolute URLs of the paywall's own endpoints, on the host the client asked. */
  base: string;
  reviewWindowSeconds?: number;
};

/** The base64 `PAYMENT-REQUIRED` value for a priced path. */
export function paymentRequiredHeader(input: PaymentRequiredInput): string {
  const extra: Record<string, unknown> = {
    amountUnit: 'micros',
    createReaderUrl: `${input.base}/__paywall/api/readers`,
    topUpUrl: `${input.base}/__paywall/api/topup`,
    accountUrl: `${input.base}/__paywall/account`,
    priceManifestUrl: `${input.base}/.well-known/paywall.json`,
    payload: { token: 'the reader token from createReaderUrl' },
  };
  if (input.reviewWindowSeconds !== undefined) extra.reviewWindowSeconds = input.reviewWindowSeconds;
  const requirements: PrepaidRequirements = {
    scheme: PREPAID_SCHEME,
    network: PREPAID_NETWORK,
    asset: PREPAID_ASSET,
    amount: String(input.priceMicros),
    payTo: input.payTo,
    maxTimeoutSeconds: PREPAID_TIMEOUT_SECONDS,
    extra,
  };
  return encodeBase64Json({
    x402Version: X402_VERSION,
    error: input.error,
    resource: { url: input.resourceUrl },
    accepts: [requirements],
    extensions: { [PAYMENT_IDENTIFIER]: paymentIdentifierDeclaration },
  });
}

export type Settlement =
  | { success: true; transaction: string; payer: string; amount?: string }
  | { success: false; errorReason: string; payer?: string };

/** The base64 `PAYMENT-RESPONSE` value; `transaction` is the ledger entry's id (our receipt). */
export function paymentResponseHeader(settlement: Settlement): string {
  return encodeBase64Json(
    settlement.success
      ? {
          success: true,
          transaction: settlement.transaction,
          network: PREPAID_NETWORK,
          payer: settlement.payer,
          ...(settlement.amount !== undefined ? { amount: settlement.amount } : {}),
        }
      : {
          success: false,
          errorReason: settlement.errorReason,
          transaction: '',
          network: PREPAID_NETWORK,
          ...(settlement.payer ? { payer: settlement.payer } : {}),
        },
  );
}

const resourceInfo = z.object({ url: z.string(), description: z.string().optional(), mimeType: z.string().optional() });

const paymentPayload = z.object({
  x402Version: z.number(),
  resource: resourceInfo.optional(),
  accepted: z.object({
    scheme: z.string(),
    network: z.string(),
    asset: z.string(),
    payTo: z.string(),
    amount: z.string(),
    maxTimeoutSeconds: z.number().int().nonnegative().optional(),
    extra: z.record(z.string(), z.unknown()).optional(),
  }),
  payload: z.object({ token: z.string().min(1).max(512) }),
  extensions: z.record(z.string(), z.unknown()).optional(),
});

export type PrepaidPayment = {
  /** The reader the payload's token names; null when the token is malformed, forged or expired. */
  readerId: string | null;
  /** `accepted.amount`: the most this request may be charged. */
  maxMicros: number;
  /** The payment-identifier extension's id, if the client sent one. */
  paymentId: string | null;
  /** What a reuse of `paymentId` must match: the whole payload and the method, hashed. */
  fingerprint: string;
};

/** x402's error codes, where one fits (spec section 9); the rest name our scheme's payload field. */
export type InvalidPaymentCode =
  | 'invalid_payload'
  | 'invalid_x402_version'
  | 'invalid_scheme'
  | 'invalid_network'
  | 'invalid_prepaid_payload_asset'
  | 'invalid_prepaid_payload_recipient_mismatch'
  | 'invalid_prepaid_payload_amount';

/**
 * A PAYMENT-SIGNATURE as read before the view knows its site: the payment, or the 400 it
 * is (thrown only by a view of a priced path: a free one ignores it), and `accepted.payTo`
 * once the payload was read that far, for the view to check against its site first.
 */
export type SignedPayment = { payTo: string | null } & ({ payment: PrepaidPayment } | { error: AppError });

export type X402Variables = { x402: SignedPayment | null };

/**
 * x402 around a view: the PAYMENT-SIGNATURE (if any) into `c.var.x402` first; then, on the
 * answer, what a 402 costs and how to pay it (PAYMENT-REQUIRED, with a PAYMENT-RESPONSE
 * saying why a payload was not enough), or a paid answer's settlement (PAYMENT-RESPONSE).
 */
export const x402 = createMiddleware<{ Bindings: Env; Variables: X402Variables & ViewOutcomeVariables }>(async (c, next) => {
  const signature = c.req.header(PAYMENT_SIGNATURE);
  c.set('x402', signature === undefined ? null : await readPaymentSignature(c.env, signature, c.req.method));
  await next();
  const outcome = c.var.viewOutcome;
  if (outcome === undefined) return;
  const signed = c.var.x402;
  const payment = signed !== null && 'payment' in signed ? signed.payment : null;
  if ('charged' in outcome) {
    const { charged } = outcome;
    if (!charged.receipt) return;
    // x402 reads a settlement without `amount` as `accepted.amount` taken in full; say so
    // whenever less was taken (the price fell since the quote, or a re-view cost nothing).
    const amount = payment !== null && charged.chargedMicros < payment.maxMicros ? { amount: String(charged.chargedMicros) } : {};
    c.header(PAYMENT_RESPONSE, paymentResponseHeader({ success: true, transaction: charged.receipt, payer: charged.readerId, ...amount }));
    return;
  }
  const { refused, view } = outcome;
  const url = new URL(c.req.url);
  c.header(
    PAYMENT_REQUIRED,
    paymentRequiredHeader({
      payTo: view.host,
      resourceUrl: `${url.origin}${view.path}${url.search}`,
      priceMicros: view.priceMicros,
      error: REFUSALS[refused],
      base: url.origin,
      ...(view.reviewWindowSeconds === undefined ? {} : { reviewWindowSeconds: view.reviewWindowSeconds }),
    }),
  );
  if (payment !== null && c.req.method !== 'HEAD') {
    const errorReason =
      payment.readerId === null
        ? 'invalid_prepaid_payload_token'
        : refused === 'insufficient_balance'
          ? 'insufficient_funds'
          : refused === 'price_above_max' && payment.maxMicros < view.priceMicros
            ? 'invalid_prepaid_payload_amount'
            : refused;
    c.header(
      PAYMENT_RESPONSE,
      paymentResponseHeader({ success: false, errorReason, ...(payment.readerId ? { payer: payment.readerId } : {}) }),
    );
  }
});

const REFUSALS: Record<PaymentRequiredReason, string> = {
  payment_required: 'payment_required: present a reader token (PAYMENT-SIGNATURE with the prepaid scheme, or Authorization: Bearer)',
  insufficient_balance: 'insufficient_balance: the reader balance does not cover the price; top up',
  daily_cap_reached: 'daily_cap_reached: the reader daily spending cap would be exceeded',
  price_above_max: 'price_above_max: the price is above the most this request agreed to pay',
};

/** The 400 for a payload that cannot be honoured, with the PAYMENT-RESPONSE that names its code. */
function invalidPayment(code: InvalidPaymentCode, message: string): AppError {
  return new AppError(code, message, {
    field: 'PAYMENT-SIGNATURE',
    headers: { [PAYMENT_RESPONSE]: paymentResponseHeader({ success: false, errorReason: code }) },
  });
}

/** Decodes and checks a `PAYMENT-SIGNATURE` value, and names the reader its token is for. */
export async function readPaymentSignature(env: Env, value: string, method: string): Promise<SignedPayment> {
  const invalid = (code: InvalidPaymentCode, message: string, payTo: string | null = null): SignedPayment => ({
    payTo,
    error: invalidPayment(code, message),
  });
  const json = value.length > MAX_HEADER_CHARS ? undefined : decodeBase64Json(value);
  if (json === undefined) return invalid('invalid_payload', 'PAYMENT-SIGNATURE must be base64-encoded JSON.');
  // The spec's order: the version decides how the rest reads (a v1 envelope has no
  // `accepted`), then the scheme and network decide what the payload must be (an `exact`
  // payload is another scheme's, not a malformed `prepaid` one), then the payload's shape.
  if (!isObject(json)) return invalid('invalid_payload', 'PAYMENT-SIGNATURE is not a PaymentPayload: (root): expected an object');
  if (json.x402Version !== X402_VERSION) return invalid('invalid_x402_version', `Only x402Version ${X402_VERSION} is spoken here.`);
  const offer = isObject(json.accepted) ? json.accepted : {};
  if (typeof offer.scheme === 'string' && offer.scheme !== PREPAID_SCHEME) {
    return invalid('invalid_scheme', `The only scheme accepted here is "${PREPAID_SCHEME}".`);
  }
  if (typeof offer.network === 'string' && offer.network !== PREPAID_NETWORK) {
    return invalid('invalid_network', `The only network accepted here is "${PREPAID_NETWORK}".`);
  }
  const parsed = paymentPayload.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return invalid('invalid_payload', `PAYMENT-SIGNATURE is not a PaymentPayload: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  const p = parsed.data;
  if (p.accepted.asset !== PREPAID_ASSET) return invalid('invalid_prepaid_payload_asset', `Amounts are in micros of ${PREPAID_ASSET}.`);
  // The recipient comes next; only the view knows its site (paymentTo checks it), so what
  // follows carries it along.
  const payTo = p.accepted.payTo;
  const maxMicros = /^\d{1,16}$/.test(p.accepted.amount) ? Number(p.accepted.amount) : NaN;
  if (!Number.isSafeInteger(maxMicros)) {
    return invalid(
      'invalid_prepaid_payload_amount',
      'accepted.amount must be a non-negative integer number of micros, as a string.',
      payTo,
    );
  }
  const identifier = readPaymentId(p.extensions?.[PAYMENT_IDENTIFIER]);
  if ('malformed' in identifier) {
    return invalid('invalid_payload', 'The payment-identifier id must be 16 to 128 letters, digits, hyphens or underscores.', payTo);
  }
  const fingerprint = await sha256Hex(canonicalJson({ method, payment: json }));
  const readerId = await verifyToken(env, p.payload.token);
  return { payTo, payment: { readerId, maxMicros, paymentId: identifier.id, fingerprint } };
}

/** The payment a PAYMENT-SIGNATURE makes to the site `host`; a 400 when it is for another recipient or cannot be honoured. */
export function paymentTo(host: string, signed: SignedPayment): PrepaidPayment {
  if (signed.payTo !== null && signed.payTo !== host) {
    throw invalidPayment('invalid_prepaid_payload_recipient_mismatch', `accepted.payTo must be this site, "${host}".`);
  }
  if ('error' in signed) throw signed.error;
  return signed.payment;
}

/** The payment-identifier extension's id (null when the client sent none), or that it is malformed. */
function readPaymentId(extension: unknown): { id: string | null } | { malformed: true } {
  if (extension === undefined) return { id: null };
  if (!isObject(extension) || !isObject(extension.info)) return { malformed: true };
  const id = extension.info.id;
  if (id === undefined) return { id: null };
  return typeof id === 'string' && PAYMENT_ID.test(id) ? { id } : { malformed: true };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function encodeBase64Json(value: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Standard or URL-safe base64, padded or not, of UTF-8 JSON; undefined when it is anything else. */
function decodeBase64Json(value: string): unknown {
  const text = value.trim().replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const unpadded = text.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return undefined;
  try {
    const binary = atob(unpadded + '='.repeat((4 - (unpadded.length % 4)) % 4));
    const json = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}

/** JSON with object keys sorted at every depth, so that key order never makes two payloads differ. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
