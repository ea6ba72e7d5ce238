import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Issue } from './json-errors';

/**
 * Every error code a client can be answered with, and its status. A code means one thing
 * everywhere, so a client can branch on `error` alone; the table is the list to document.
 */
export const ERROR_CODES = {
  invalid_request: 400,
  invalid_json: 400,
  invalid_path: 400,
  invalid_idempotency_key: 400,
  internal_error: 500,
  body_too_large: 413,
  not_found: 404,
  rate_limited: 429,
  wallet_unavailable: 503,
  // A view of a publisher's content (src/paywall/view-handler.ts).
  unknown_site: 404,
  site_unavailable: 503,
  method_not_allowed: 405,
  idempotency_conflict: 409,
  charge_not_settled: 503,
  origin_timeout: 504,
  origin_unreachable: 502,
  // Web Bot Auth and the site's crawler policy (src/crawlers/crawler-view.ts).
  invalid_signature: 400,
  crawler_forbidden: 403,
  // x402's codes for a PAYMENT-SIGNATURE that cannot be honoured (src/paywall/x402.ts).
  invalid_payload: 400,
  invalid_x402_version: 400,
  invalid_scheme: 400,
  invalid_network: 400,
  invalid_prepaid_payload_asset: 400,
  invalid_prepaid_payload_recipient_mismatch: 400,
  invalid_prepaid_payload_amount: 400,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_CODES;

export type ErrorDetails = {
  /** The request field at fault (a JSON path, a header's name, a form field). */
  field?: string;
  issues?: Issue[];
  /** Further members of the JSON body, e.g. `retryAfterSeconds`. */
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** The status, where one code is answered with more than one (rare: say why at the call). */
  status?: ContentfulStatusCode;
};

/**
 * An answer that is not the happy path, thrown from any depth and rendered by the app's one
 * `onError`: the contract's JSON `{error, message, field?, issues?}` on API routes, a page on
 * the HTML routes. Nothing is written before it is thrown, so a refusal changes nothing.
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
