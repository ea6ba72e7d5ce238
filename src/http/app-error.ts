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
