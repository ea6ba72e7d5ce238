import { z } from 'zod';

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
  token: string;
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

export type ReadPayment = { ok: true; payment: PrepaidPayment } | { ok: false; code: InvalidPaymentCode; message: string };

/** Decodes and checks a `PAYMENT-SIGNATURE` value for this site. */
export async function readPaymentSignature(value: string, site: { host: string; method: string }): Promise<ReadPayment> {
  const invalid = (code: InvalidPaymentCode, message: string): ReadPayment => ({ ok: false, code, message });
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
  if (p.accepted.payTo !== site.host) {
    return invalid('invalid_prepaid_payload_recipient_mismatch', `accepted.payTo must be this site, "${site.host}".`);
  }
  const maxMicros = /^\d{1,16}$/.test(p.accepted.amount) ? Number(p.accepted.amount) : NaN;
  if (!Number.isSafeInteger(maxMicros)) {
    return invalid('invalid_prepaid_payload_amount', 'accepted.amount must be a non-negative integer number of micros, as a string.');
  }
  const paymentId = readPaymentId(p.extensions?.[PAYMENT_IDENTIFIER]);
  if (paymentId === 'invalid') {
    return invalid('invalid_payload', 'The payment-identifier id must be 16 to 128 letters, digits, hyphens or underscores.');
  }
  const fingerprint = await sha256Hex(canonicalJson({ method: site.method, payment: json }));
  return { ok: true, payment: { token: p.payload.token, maxMicros, paymentId, fingerprint } };
}

function readPaymentId(extension: unknown): string | null | 'invalid' {
  if (extension === undefined) return null;
  if (!isObject(extension) || !isObject(extension.info)) return 'invalid';
  const id = extension.info.id;
  if (id === undefined) return null;
  return typeof id === 'string' && PAYMENT_ID.test(id) ? id : 'invalid';
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
