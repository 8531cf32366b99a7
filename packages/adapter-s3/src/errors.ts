import { S3ServiceException } from '@aws-sdk/client-s3';
import { JobkitError } from 'jobkit';

export interface S3ErrorContext {
  /** What we were doing, for the message: 'put', 'get', 'head', … */
  operation: string;
  bucket: string;
  /** The caller's key (without the store prefix), when the operation has one. */
  key?: string;
}

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound']);
/** Credentials or permissions: retrying cannot help until someone fixes the configuration. */
const ACCESS = new Set([
  'AccessDenied',
  'AllAccessDisabled',
  'AccountProblem',
  'ExpiredToken',
  'InvalidAccessKeyId',
  'InvalidToken',
  'SignatureDoesNotMatch',
  'TokenRefreshRequired',
]);
const BUCKET_CONFIG = new Set(['NoSuchBucket', 'InvalidBucketName', 'PermanentRedirect', 'AuthorizationHeaderMalformed']);
const THROTTLING = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequests',
  'TooManyRequestsException',
  'RequestThrottled',
]);
const TRANSIENT = new Set(['RequestTimeout', 'RequestTimeoutException', 'InternalError', 'ServiceUnavailable', 'TimeoutError']);
/** Socket-level failures (no HTTP response): the endpoint may be back in a moment. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

function statusOf(e: unknown): number | undefined {
  const status = (e as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

function networkCode(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && typeof cur === 'object' && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
  }
  return undefined;
}

/** Seconds or an HTTP date, as S3-compatible servers may send it with a 503/429. */
function retryAfterMs(e: unknown): number | undefined {
  const headers = (e as { $response?: { headers?: Record<string, string | undefined> } })?.$response?.headers;
  const raw = headers?.['retry-after'] ?? headers?.['Retry-After'];
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * Maps anything the S3 client throws to a JobkitError:
 * missing object → NOT_FOUND; throttling, 5xx and network failures → retryable STORAGE_FAILED;
 * credentials, permissions and a missing bucket → non-retryable STORAGE_FAILED naming the bucket.
 */
export function mapS3Error(e: unknown, ctx: S3ErrorContext): JobkitError {
  if (JobkitError.is(e)) return e;
  const status = statusOf(e);
  // Errors without a body (HEAD) come back as "Unknown"/"NotFound"/"Forbidden": say the status instead.
  const rawName = e instanceof Error ? e.name : 'Error';
  const name = (rawName === 'Unknown' || rawName === 'UnknownError') && status !== undefined ? `HTTP ${status}` : rawName;
  const text = e instanceof Error && e.message && e.message !== 'UnknownError' ? e.message : name;
  const where = ctx.key === undefined ? `bucket "${ctx.bucket}"` : `"${ctx.key}" in bucket "${ctx.bucket}"`;
  const details: Record<string, unknown> = {
    bucket: ctx.bucket,
    operation: ctx.operation,
    s3Code: name,
    ...(status !== undefined ? { httpStatus: status } : {}),
  };
  if (ctx.key !== undefined) details.key = ctx.key;

  if (NOT_FOUND.has(name) && ctx.key !== undefined) {
    return new JobkitError('NOT_FOUND', `object ${ctx.key} not found in bucket "${ctx.bucket}"`, { cause: e, details });
  }
  if (name === 'NoSuchBucket') {
    return new JobkitError('STORAGE_FAILED', `S3 bucket "${ctx.bucket}" does not exist (${ctx.operation})`, { retryable: false, cause: e, details });
  }
  if (ACCESS.has(name) || BUCKET_CONFIG.has(name) || status === 401 || status === 403) {
    return new JobkitError(
      'STORAGE_FAILED',
      `S3 ${ctx.operation} of ${where} was refused (${name}): check the credentials and the bucket's permissions and region`,
      {
        retryable: false,
        cause: e,
        details,
      },
    );
  }
  const net = networkCode(e);
  const after = retryAfterMs(e);
  if (THROTTLING.has(name) || TRANSIENT.has(name) || status === 429 || (status !== undefined && status >= 500) || net !== undefined) {
    const why = net ?? (status !== undefined ? `${name}, HTTP ${status}` : name);
    return new JobkitError('STORAGE_FAILED', `S3 ${ctx.operation} of ${where} failed (${why}); retry later`, {
      retryable: true,
      cause: e,
      details,
      ...(after !== undefined ? { retryAfterMs: after } : {}),
    });
  }
  if (e instanceof S3ServiceException || (status !== undefined && status >= 400)) {
    // Any other 4xx (bad argument, entity too large, …): the same request will fail the same way.
    return new JobkitError('STORAGE_FAILED', `S3 ${ctx.operation} of ${where} failed (${name}): ${text}`, { retryable: false, cause: e, details });
  }
  return new JobkitError('STORAGE_FAILED', `S3 ${ctx.operation} of ${where} failed: ${text}`, { cause: e, details });
}
