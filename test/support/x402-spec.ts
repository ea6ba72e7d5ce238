/**
 * Strict decoders for x402 v2's HTTP headers, written from the published formats and
 * independent of the Worker's encoders:
 *   specs/x402-specification-v2.md §5.1 PaymentRequired, §5.2 PaymentPayload, §5.3 SettlementResponse
 *   specs/transports-v2/http.md: PAYMENT-REQUIRED / PAYMENT-SIGNATURE / PAYMENT-RESPONSE, base64 JSON
 *   specs/extensions/payment_identifier.md: `info.required` (boolean), `info.id` (16-128 of [A-Za-z0-9_-])
 * (github.com/coinbase/x402, now github.com/x402-foundation/x402). Anything outside the
 * spec's fields, a missing required field or a wrong type throws.
 */

export type ResourceInfo = { url: string; description?: string; mimeType?: string };
export type PaymentRequirements = {
  scheme: string;
  network: string;
  amount: string;
  asset: string;
  payTo: string;
  maxTimeoutSeconds: number;
  extra?: Record<string, unknown>;
};
export type Extension = { info: Record<string, unknown>; schema: Record<string, unknown> };
export type PaymentRequired = {
  x402Version: 2;
  error?: string;
  resource: ResourceInfo;
  accepts: PaymentRequirements[];
  extensions?: Record<string, Extension>;
};
export type PaymentPayload = {
  x402Version: 2;
  resource?: ResourceInfo;
  accepted: PaymentRequirements;
  payload: Record<string, unknown>;
  extensions?: Record<string, Extension>;
};
export type SettlementResponse = {
  success: boolean;
  errorReason?: string;
  payer?: string;
  transaction: string;
  network: string;
  amount?: string;
};

/** CAIP-2 `namespace:reference`, which the spec asks of every network identifier. */
const CAIP2 = /^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$/;
const PAYMENT_ID = /^[A-Za-z0-9_-]{16,128}$/;

class SpecViolation extends Error {}
const fail = (where: string, what: string): never => {
  throw new SpecViolation(`${where}: ${what}`);
};

/** RFC 4648 base64 (standard alphabet, padded), then UTF-8, then JSON. */
export function decodeBase64Header(value: string | null, name: string): unknown {
  if (value === null) return fail(name, 'header is missing');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value)) fail(name, 'not padded standard base64');
  const bytes = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return fail(name, 'not UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch {
    return fail(name, 'not JSON');
  }
}

export function encodeBase64Header(value: unknown): string {
  let binary = '';
  for (const b of new TextEncoder().encode(JSON.stringify(value))) binary += String.fromCharCode(b);
  return btoa(binary);
}

function object(v: unknown, where: string, allowed: string[], required: string[]): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(where, 'not an object');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(where, `field "${k}" is not in the spec`);
  for (const k of required) if (!(k in o)) fail(where, `required field "${k}" is missing`);
  return o;
}

const string = (v: unknown, where: string): string => (typeof v === 'string' ? v : fail(where, 'not a string'));
const optionalString = (v: unknown, where: string) => (v === undefined ? undefined : string(v, where));
const freeObject = (v: unknown, where: string) => object(v, where, Object.keys((v as object) ?? {}), []);

function resourceInfo(v: unknown, where: string): ResourceInfo {
  const o = object(v, where, ['url', 'description', 'mimeType'], ['url']);
  const url = string(o.url, `${where}.url`);
  const out: ResourceInfo = { url };
  if (o.description !== undefined) out.description = string(o.description, `${where}.description`);
  if (o.mimeType !== undefined) out.mimeType = string(o.mimeType, `${where}.mimeType`);
  return out;
}

export function paymentRequirements(v: unknown, where: string): PaymentRequirements {
  const o = object(
    v,
    where,
    ['scheme', 'network', 'amount', 'asset', 'payTo', 'maxTimeoutSeconds', 'extra'],
    ['scheme', 'network', 'amount', 'asset', 'payTo', 'maxTimeoutSeconds'],
  );
  const network = string(o.network, `${where}.network`);
  if (!CAIP2.test(network)) fail(`${where}.network`, 'not CAIP-2');
  const amount = string(o.amount, `${where}.amount`);
  if (!/^(0|[1-9]\d*)$/.test(amount)) fail(`${where}.amount`, 'not a base-10 integer string of atomic units');
  const asset = string(o.asset, `${where}.asset`);
  if (asset.length === 0) fail(`${where}.asset`, 'neither a token address nor an ISO 4217 code');
  const maxTimeoutSeconds = o.maxTimeoutSeconds;
  if (typeof maxTimeoutSeconds !== 'number' || !Number.isInteger(maxTimeoutSeconds) || maxTimeoutSeconds < 0) {
    fail(`${where}.maxTimeoutSeconds`, 'not a non-negative integer');
  }
  const out: PaymentRequirements = {
    scheme: string(o.scheme, `${where}.scheme`),
    network,
    amount,
    asset,
    payTo: string(o.payTo, `${where}.payTo`),
    maxTimeoutSeconds: maxTimeoutSeconds as number,
  };
  if (o.extra !== undefined) out.extra = freeObject(o.extra, `${where}.extra`);
  return out;
}

function extensions(v: unknown, where: string): Record<string, Extension> {
  const o = freeObject(v, where);
  const out: Record<string, Extension> = {};
  for (const [key, ext] of Object.entries(o)) {
    const e = object(ext, `${where}.${key}`, ['info', 'schema'], ['info', 'schema']);
    out[key] = { info: freeObject(e.info, `${where}.${key}.info`), schema: freeObject(e.schema, `${where}.${key}.schema`) };
  }
  return out;
}

function version(v: unknown, where: string): 2 {
  return v === 2 ? 2 : fail(where, 'x402Version must be 2');
}

/** §5.1, from a PAYMENT-REQUIRED header. */
export function decodePaymentRequired(header: string | null): PaymentRequired {
  const o = object(
    decodeBase64Header(header, 'PAYMENT-REQUIRED'),
    'PaymentRequired',
    ['x402Version', 'error', 'resource', 'accepts', 'extensions'],
    ['x402Version', 'resource', 'accepts'],
  );
  if (!Array.isArray(o.accepts) || o.accepts.length === 0) fail('PaymentRequired.accepts', 'not a non-empty array');
  const out: PaymentRequired = {
    x402Version: version(o.x402Version, 'PaymentRequired.x402Version'),
    resource: resourceInfo(o.resource, 'PaymentRequired.resource'),
    accepts: (o.accepts as unknown[]).map((a, i) => paymentRequirements(a, `PaymentRequired.accepts[${i}]`)),
  };
  const error = optionalString(o.error, 'PaymentRequired.error');
  if (error !== undefined) out.error = error;
  if (o.extensions !== undefined) out.extensions = extensions(o.extensions, 'PaymentRequired.extensions');
  const pid = out.extensions?.['payment-identifier'];
  if (pid && typeof pid.info.required !== 'boolean') fail('payment-identifier.info.required', 'not a boolean');
  return out;
}

/** §5.2, from a PAYMENT-SIGNATURE header (what a client sends). */
export function decodePaymentPayload(header: string | null): PaymentPayload {
  const o = object(
    decodeBase64Header(header, 'PAYMENT-SIGNATURE'),
    'PaymentPayload',
    ['x402Version', 'resource', 'accepted', 'payload', 'extensions'],
    ['x402Version', 'accepted', 'payload'],
  );
  const out: PaymentPayload = {
    x402Version: version(o.x402Version, 'PaymentPayload.x402Version'),
    accepted: paymentRequirements(o.accepted, 'PaymentPayload.accepted'),
    payload: freeObject(o.payload, 'PaymentPayload.payload'),
  };
  if (o.resource !== undefined) out.resource = resourceInfo(o.resource, 'PaymentPayload.resource');
  if (o.extensions !== undefined) out.extensions = extensions(o.extensions, 'PaymentPayload.extensions');
  const pid = out.extensions?.['payment-identifier'];
  if (pid?.info.id !== undefined && (typeof pid.info.id !== 'string' || !PAYMENT_ID.test(pid.info.id))) {
    fail('payment-identifier.info.id', 'not 16-128 characters of [A-Za-z0-9_-]');
  }
  return out;
}

/** §5.3, from a PAYMENT-RESPONSE header. */
export function decodeSettlementResponse(header: string | null): SettlementResponse {
  // `amount` (atomic units, as a string) is SettleResponse's field for a settlement below `accepted.amount` (@x402/core's types).
  const o = object(
    decodeBase64Header(header, 'PAYMENT-RESPONSE'),
    'SettlementResponse',
    ['success', 'errorReason', 'payer', 'transaction', 'network', 'amount'],
    ['success', 'transaction', 'network'],
  );
  if (typeof o.success !== 'boolean') fail('SettlementResponse.success', 'not a boolean');
  const network = string(o.network, 'SettlementResponse.network');
  if (!CAIP2.test(network)) fail('SettlementResponse.network', 'not CAIP-2');
  const out: SettlementResponse = {
    success: o.success as boolean,
    transaction: string(o.transaction, 'SettlementResponse.transaction'),
    network,
  };
  if (o.success === true && o.errorReason !== undefined) fail('SettlementResponse.errorReason', 'present on success');
  if (o.success === false) {
    out.errorReason = string(o.errorReason, 'SettlementResponse.errorReason');
    if (out.transaction !== '') fail('SettlementResponse.transaction', 'not empty on failure');
  }
  const payer = optionalString(o.payer, 'SettlementResponse.payer');
  if (payer !== undefined) out.payer = payer;
  const amount = optionalString(o.amount, 'SettlementResponse.amount');
  if (amount !== undefined) {
    if (!/^\d+$/.test(amount)) fail('SettlementResponse.amount', 'not an integer amount in atomic units');
    out.amount = amount;
  }
  return out;
}

/** A client's PaymentPayload for the `prepaid` scheme, made from a decoded PaymentRequired the way the spec says clients do. */
export function prepaidPayment(required: PaymentRequired, token: string, options: { id?: string; amount?: string } = {}): PaymentPayload {
  const accepted = { ...required.accepts.find((a) => a.scheme === 'prepaid')! };
  if (options.amount !== undefined) accepted.amount = options.amount;
  const payment: PaymentPayload = { x402Version: 2, resource: required.resource, accepted, payload: { token } };
  const declared = required.extensions?.['payment-identifier'];
  if (options.id !== undefined && declared) {
    payment.extensions = { 'payment-identifier': { schema: declared.schema, info: { ...declared.info, id: options.id } } };
  }
  return payment;
}
