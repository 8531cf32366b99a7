/**
 * HTTP error mapping: the ONE table from JobkitError codes to statuses, the JSON error body, and the
 * Express error middleware (which also turns body-parser errors into the same shape).
 */
import type { ErrorRequestHandler, Response } from 'express';
import { JobkitError, type ErrorCode, type JobService, type Logger } from 'jobkit';
import { requestLogContext } from './log-context.js';

/** Codes a client can act on. Everything else becomes 500 INTERNAL with a generic message. */
export const HTTP_STATUS_BY_CODE: Readonly<Partial<Record<ErrorCode, number>>> = {
  INVALID_INPUT: 400,
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

/** Error types body-parser (express.json / express.raw) attaches to its errors. */
const BODY_PARSER_ERRORS: Readonly<Record<string, { code: ErrorCode; message: string }>> = {
  'entity.too.large': { code: 'PAYLOAD_TOO_LARGE', message: 'request body is too large' },
  'entity.parse.failed': { code: 'INVALID_INPUT', message: 'request body is not valid JSON' },
  'entity.verify.failed': { code: 'INVALID_INPUT', message: 'request body was rejected' },
  'encoding.unsupported': { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'unsupported content encoding' },
  'charset.unsupported': { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'unsupported charset' },
  'request.aborted': { code: 'INVALID_INPUT', message: 'request was aborted' },
  'request.size.invalid': { code: 'INVALID_INPUT', message: 'request size did not match content-length' },
  'stream.encoding.set': { code: 'INTERNAL', message: GENERIC_MESSAGE },
  'stream.not.readable': { code: 'INTERNAL', message: GENERIC_MESSAGE },
  'parameters.too.many': { code: 'INVALID_INPUT', message: 'too many parameters' },
};

/** Normalises anything thrown into a JobkitError (body-parser errors included). */
export function toJobkitError(err: unknown): JobkitError {
  if (JobkitError.is(err)) return err;
  const type = typeof err === 'object' && err !== null ? (err as { type?: unknown }).type : undefined;
  if (typeof type === 'string' && BODY_PARSER_ERRORS[type]) {
    const m = BODY_PARSER_ERRORS[type]!;
    return new JobkitError(m.code, m.message, { cause: err, ...(m.code === 'INVALID_INPUT' ? { details: { field: 'body' } } : {}) });
  }
  return JobkitError.from(err, 'INTERNAL');
}

/** Status and body for an error; unknown codes are hidden behind 500 INTERNAL. */
export function toHttpError(err: unknown): HttpError {
  const e = toJobkitError(err);
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

/** Writes an error response (and logs hidden errors). */
export function sendError(res: Response, err: unknown, logger: Logger, context: Record<string, unknown> = {}): void {
  const http = toHttpError(err);
  if (http.internal) {
    const e = err instanceof Error ? err : new Error(String(err));
    logger.error({ ...context, err: e, code: JobkitError.is(err) ? err.code : undefined }, 'request failed');
  } else if (http.status >= 400) {
    logger.debug({ ...context, status: http.status, code: http.body.error.code }, 'request rejected');
  }
  if (res.headersSent) {
    // Too late for a JSON error (e.g. a file stream broke mid-way): cut the connection.
    res.destroy();
    return;
  }
  if (http.retryAfterSec !== undefined) res.setHeader('retry-after', String(http.retryAfterSec));
  res.status(http.status).json(http.body);
}

/**
 * Express error middleware: every error under the router leaves as `{ error: { code, message } }`. With a
 * service, errors on /jobs/:id paths are logged with the job's id and SKU (and the path as a pattern).
 */
export function createErrorHandler(logger: Logger, service?: JobService): ErrorRequestHandler {
  return async (err, req, res, _next) => {
    const context = await requestLogContext(service, req.originalUrl.split('?')[0]!);
    sendError(res, err, logger, { method: req.method, ...context });
  };
}
