import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * Every error code a client can be answered with, and its status. A code means one thing
 * everywhere, so a client can branch on `error` alone; the table is the list to document.
 * The few calls that answer a code with another status say why where they do (`status`).
 */
export const ERROR_CODES = {
  // 400: the request itself is wrong; nothing changed.
  invalid_request: 400,
  invalid_json: 400,
  invalid_path: 400,
  invalid_host: 400,
  invalid_site: 400,
  invalid_idempotency_key: 400,
  invalid_signature: 400,
  invalid_event: 400,
  same_reader: 400,
  balance_limit: 400,
  not_withdrawable: 400,
  verification_failed: 400,
  invite_invalid: 400,
  // x402's PAYMENT-SIGNATURE refusals (src/paywall/x402.ts).
  invalid_payload: 400,
  invalid_x402_version: 400,
  invalid_scheme: 400,
  invalid_network: 400,
  invalid_prepaid_payload_asset: 400,
  invalid_prepaid_payload_recipient_mismatch: 400,
  invalid_prepaid_payload_amount: 400,
  // A passkey that was not saved (the wallet's and the console's registrations); a sign-in
  // that fails answers the same codes with 401 (see `status` at those calls).
  malformed: 400,
  bad_challenge: 400,
  not_verified: 400,
  challenge_used: 400,
  already_registered: 400,
  too_many_passkeys: 400,
  too_many: 400,
  unknown_person: 400,
  no_such_reader: 400,
  // 401: no credential, or one that is not (or no longer) good.
  unauthorized: 401,
  admin_disabled: 401,
  unknown_credential: 401,
  counter_not_increased: 401,
  // 402: a view the reader cannot pay (the contract's own body: `priceMicros`, `balanceMicros`).
  payment_required: 402,
  insufficient_balance: 402,
  daily_cap_reached: 402,
  price_above_max: 402,
  // 403: known, but not allowed here.
  forbidden: 403,
  cross_site_request: 403,
  wallet_host_only: 403,
  crawler_forbidden: 403,
  // 404
  not_found: 404,
  unknown_site: 404,
  reader_not_found: 404,
  publisher_not_found: 404,
  key_not_found: 404,
  claim_not_found: 404,
  crawler_link_not_found: 404,
  no_such_charge: 404,
  origin_secret_not_set: 404,
  method_not_allowed: 405,
  // 409: the request is fine, the state it meets is not.
  idempotency_conflict: 409,
  host_taken: 409,
  host_already_yours: 409,
  duplicate_reference: 409,
  crawler_key_taken: 409,
  too_many_tokens: 409,
  too_late: 409,
  limit_reached: 409,
  body_too_large: 413,
  rate_limited: 429,
  // 5xx: our side, or a service behind it; the request may be retried.
  internal_error: 500,
  invalid_usage_summary: 500,
  payment_provider_error: 502,
  origin_unreachable: 502,
  not_configured: 503,
  topup_unavailable: 503,
  platform_fee_misconfigured: 503,
  site_unavailable: 503,
  wallet_unavailable: 503,
  origin_timeout: 504,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One thing wrong with a request: where (a dotted path), and what. */
export type Issue = { path: string; message: string };

export type ErrorDetails = {
  /** The request field at fault (a JSON path, a header's name, a form field). */
  field?: string;
  issues?: Issue[];
  /** Further members of the JSON body, e.g. `withdrawableMicros`. */
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** The status, where one code is answered with more than one (rare: say why at the call). */
  status?: ContentfulStatusCode;
  /**
   * Answered to a person as a page that says the message, not as JSON: for the refusals of
   * the HTML routes' own forms and pages (a form too large, a receipt that is not theirs).
   */
  page?: boolean;
  /** That page's heading, where the status's own would say too little. */
  title?: string;
};

/**
 * An answer that is not the happy path, thrown from any depth and rendered by the app's one
 * `onError`: the contract's JSON `{error, message, field?, issues?}`, or a page where
 * `page` says a person is reading. Nothing is written before it is thrown, so a refusal
 * changes nothing.
 */
export class AppError extends HTTPException {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(details.status ?? ERROR_CODES[code], { message });
    this.code = code;
    this.details = details;
  }
}
