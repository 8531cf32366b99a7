/**
 * HTTP error mapping: the ONE table from error codes to statuses, used by every route (the Replicate hook
 * and the dashboard included), and the JSON error body `{ error: { code, message, field? } }`.
 */
import { JobkitError, type ErrorCode, type Logger } from 'jobkit';
import { jsonResponse, type JobkitResponse } from './exchange.js';

/** Codes a client can act on. Everything else becomes 500 INTERNAL with a generic message. */
export const HTTP_STATUS_BY_CODE: Readonly<Partial<Record<ErrorCode, number>>> = {
  INVALID_INPUT: 400,
  CHECKSUM_MISMATCH: 422,
  SIGNATURE_INVALID: 401,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  INVALID_TRANSITION: 409,
  CONFLICT: 409,
  IMAGE_LIMIT_REACHED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
};

/**
 * Codes of the HTTP layer itself (not job errors). BODY_NOT_RAW: a body parser in front of a signed route
 * consumed the bytes the signature covers — a server misconfiguration, shown with its message so the
 * operator finds the parser instead of hunting for a wrong secret.
 */
export const HTTP_ONLY_CODES = { BODY_NOT_RAW: 500, CSRF_INVALID: 403 } as const;
export type HttpOnlyCode = keyof typeof HTTP_ONLY_CODES;

export interface HttpErrorBody {
  error: { code: string; message: string; field?: string };
}

export interface HttpError {
  status: number;
  body: HttpErrorBody;
  /** Seconds, for 429. */
  retryAfterSec?: number;
  /** True when the real error was hidden (500): log it. */
  internal: boolean;
}

const GENERIC_MESSAGE = 'internal server error';

/** Status and body for anything thrown; unknown codes are hidden behind 500 INTERNAL. */
export function toHttpError(err: unknown): HttpError {
  const e = JobkitError.from(err, 'INTERNAL');
  if (e.details?.['reason'] === 'body_not_raw') {
    return { status: HTTP_ONLY_CODES.BODY_NOT_RAW, body: { error: { code: 'BODY_NOT_RAW', message: e.message } }, internal: false };
  }
  const status = HTTP_STATUS_BY_CODE[e.code];
  if (status === undefined) {
    return { status: 500, body: { error: { code: 'INTERNAL', message: GENERIC_MESSAGE } }, internal: true };
  }
  const field = typeof e.details?.['field'] === 'string' ? (e.details['field'] as string) : undefined;
  const body: HttpErrorBody = { error: { code: e.code, message: e.message, ...(e.code === 'INVALID_INPUT' && field ? { field } : {}) } };
  const result: HttpError = { status, body, internal: false };
  if (status === 429) result.retryAfterSec = Math.max(1, Math.ceil((e.retryAfterMs ?? 1000) / 1000));
  return result;
}

/** Logs an error the way every route does: hidden errors at error level (with the cause), refusals at debug. */
export function logHttpError(http: HttpError, err: unknown, logger: Logger, context: Record<string, unknown>): void {
  if (http.internal) {
    const e = err instanceof Error ? err : new Error(String(err));
    logger.error({ ...context, err: e, code: JobkitError.is(err) ? err.code : undefined }, 'request failed');
  } else if (http.status >= 500) {
    logger.error({ ...context, status: http.status, code: http.body.error.code, message: http.body.error.message }, 'request failed');
  } else {
    logger.debug({ ...context, status: http.status, code: http.body.error.code }, 'request rejected');
  }
}

/** The JSON error response for anything thrown (and logs it). */
export function errorResponse(err: unknown, logger: Logger, context: Record<string, unknown> = {}): JobkitResponse {
  const http = toHttpError(err);
  logHttpError(http, err, logger, context);
  const headers: Record<string, string> = {};
  if (http.retryAfterSec !== undefined) headers['retry-after'] = String(http.retryAfterSec);
  if (JobkitError.is(err) && typeof err.details?.['challenge'] === 'string') headers['www-authenticate'] = err.details['challenge'];
  return jsonResponse(http.status, http.body, headers);
}
