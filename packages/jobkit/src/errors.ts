/**
 * Typed errors with stable codes. Every failure that crosses a jobkit boundary is a JobkitError, so
 * adapters (HTTP, CLI, worker) can map it without parsing messages.
 */

/** Every stable error code, with whether retrying the same operation later can help. */
export const ERROR_CODES = {
  INVALID_INPUT: { retryable: false, description: 'The input failed validation.' },
  INVALID_TRANSITION: { retryable: false, description: 'The job cannot move to that status from its current one.' },
  CONFLICT: { retryable: true, description: 'Someone else changed the job first (stale version or lost lease).' },
  NOT_FOUND: { retryable: false, description: 'No such job or object.' },
  IMAGE_LIMIT_REACHED: { retryable: false, description: 'The SKU already has the maximum number of photos.' },
  SIGNATURE_INVALID: { retryable: false, description: 'The webhook signature is missing, malformed, wrong or stale.' },
  UNAUTHORIZED: { retryable: false, description: 'Missing or wrong credentials.' },
  PAYLOAD_TOO_LARGE: { retryable: false, description: 'The request body or download exceeds the size limit.' },
  UNSUPPORTED_MEDIA_TYPE: { retryable: false, description: 'The content type is not accepted.' },
  DOWNLOAD_FAILED: { retryable: true, description: 'The original photo could not be downloaded.' },
  CHECKSUM_MISMATCH: { retryable: false, description: 'The downloaded bytes do not match the announced sha256.' },
  SEGMENT_FAILED: { retryable: true, description: 'Background removal failed.' },
  BACKGROUND_FAILED: { retryable: true, description: 'Background generation failed.' },
  COMPOSITE_FAILED: { retryable: false, description: 'Compositing the outputs failed.' },
  STORAGE_FAILED: { retryable: true, description: 'The job or object store failed.' },
  STOREFRONT_FAILED: { retryable: true, description: 'Pushing media to the storefront failed.' },
  PROVIDER_TIMEOUT: { retryable: true, description: 'A provider did not answer in time.' },
  RATE_LIMITED: { retryable: true, description: 'A provider or the API asked us to slow down.' },
  BUDGET_EXCEEDED: { retryable: true, description: 'The daily spend cap is reached; the job waits until the next UTC day.' },
  REJECTED: { retryable: false, description: 'An operator rejected the cutout in review.' },
  CANCELLED: { retryable: true, description: 'The operation was cancelled (worker stopping).' },
  INTERNAL: { retryable: false, description: 'An unexpected error.' },
} as const satisfies Record<string, { retryable: boolean; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

export interface JobkitErrorOptions {
  /** Overrides the code's default classification (e.g. a 4xx from a provider is not retryable). */
  retryable?: boolean;
  /** A provider's requested wait (Retry-After), honoured by the retry policy when larger. */
  retryAfterMs?: number;
  cause?: unknown;
  details?: Record<string, unknown>;
}

// A global symbol (Symbol.for) survives duplicated bundles (ESM + CJS copies of jobkit in one process).
const BRAND = Symbol.for('jobkit.error');

export class JobkitError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  // `declare`: assigned only when given, so an error without them prints and serialises without `undefined`s.
  declare readonly retryAfterMs?: number;
  declare readonly details?: Record<string, unknown>;
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, options: JobkitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'JobkitError';
    this.code = code;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
    if (options.retryAfterMs !== undefined) (this as { retryAfterMs?: number }).retryAfterMs = Math.max(0, Math.round(options.retryAfterMs));
    if (options.details !== undefined) (this as { details?: Record<string, unknown> }).details = options.details;
  }

  /** True for any JobkitError, also one created by another copy of this package. */
  static is(value: unknown, code?: ErrorCode): value is JobkitError {
    const ok = typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
    return ok && (code === undefined || (value as JobkitError).code === code);
  }

  /** Wraps anything thrown into a JobkitError, keeping JobkitErrors as they are. */
  static from(value: unknown, fallback: ErrorCode = 'INTERNAL', message?: string): JobkitError {
    if (JobkitError.is(value)) return value;
    const text = value instanceof Error ? value.message : String(value);
    return new JobkitError(fallback, message ? `${message}: ${text}` : text, { cause: value });
  }

  toJSON(): { code: ErrorCode; message: string; retryable: boolean; retryAfterMs?: number; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}),
      ...(this.details !== undefined ? { details: this.details } : {}),
    };
  }
}

/** Shorthand for an INVALID_INPUT error that names the offending field. */
export function invalidInput(field: string, message: string): JobkitError {
  return new JobkitError('INVALID_INPUT', `${field}: ${message}`, { details: { field } });
}
