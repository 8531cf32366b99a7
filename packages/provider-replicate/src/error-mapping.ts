/**
 * Turns whatever the replicate client, our fetch or a download throws into a JobkitError:
 * 429 → RATE_LIMITED (retryAfterMs from Retry-After or the throttle body), 5xx / network → the step's
 * code, retryable; timeouts → PROVIDER_TIMEOUT; 401/403 → UNAUTHORIZED; other 4xx → the step's code,
 * not retryable, with Replicate's message kept; an aborted step → CANCELLED.
 */
import { JobkitError, type ErrorCode } from 'jobkit';
import { UpstreamFailure } from './guarded-fetch.js';

export type StepErrorCode = Extract<ErrorCode, 'SEGMENT_FAILED' | 'BACKGROUND_FAILED'>;

/** Used only when a 429 says nothing about when to come back (no header, no hint in the body). */
const DEFAULT_RATE_LIMIT_WAIT_MS = 10_000;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, second: 1000, seconds: 1000, m: 60_000, min: 60_000, minute: 60_000, minutes: 60_000 };
/** "Your rate limit resets in ~30s." (Replicate's rate-limit page) */
const RESETS_IN = /resets in\s*~?\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|seconds?|m|min|minutes?)\b/i;
/** "Expected available in 1 second." (the other documented body; older answers say "831.0 seconds") */
const EXPECTED_IN = /expected available in\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|seconds?|m|min|minutes?)\b/i;

/** The `retry_after` field (seconds) some throttle bodies carry, e.g. the low-credit limit. */
function bodyRetryAfterSec(bodyText: string): number | undefined {
  try {
    const parsed = JSON.parse(bodyText) as { retry_after?: unknown } | null;
    const v = parsed?.retry_after;
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * When to come back after a 429, in ms: the Retry-After header (seconds or an HTTP date), else the body's
 * `retry_after` field, else either documented text ("resets in ~30s", "Expected available in 1 second").
 */
export function parseRetryAfterMs(headers: Headers | null, bodyText: string, now: Date): number | undefined {
  const raw = headers?.get('retry-after')?.trim();
  if (raw) {
    if (/^\d+(\.\d+)?$/.test(raw)) return Math.round(Number(raw) * 1000);
    const date = Date.parse(raw);
    if (!Number.isNaN(date)) return Math.max(0, date - now.getTime());
  }
  const field = bodyRetryAfterSec(bodyText);
  if (field !== undefined) return Math.round(field * 1000);
  const m = RESETS_IN.exec(bodyText) ?? EXPECTED_IN.exec(bodyText);
  if (m) return Math.round(Number(m[1]) * UNIT_MS[m[2]!.toLowerCase()]!);
  return undefined;
}

/** Replicate error bodies are `{ "title", "detail" }` (problem+json) or `{ "detail" }`. */
function replicateDetail(bodyText: string): string {
  try {
    const parsed = JSON.parse(bodyText) as unknown;
    if (parsed && typeof parsed === 'object') {
      const { detail, title } = parsed as { detail?: unknown; title?: unknown };
      if (typeof detail === 'string' && detail) return detail;
      if (typeof title === 'string' && title) return title;
    }
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return bodyText.trim().slice(0, 500);
}

function isTimeout(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const name = (e as { name?: unknown }).name;
    const code = (e as { code?: unknown }).code;
    if (name === 'TimeoutError') return true;
    if (typeof code === 'string' && /TIMEOUT|ETIMEDOUT/.test(code)) return true;
  }
  return false;
}

export interface MapContext {
  step: StepErrorCode;
  /** What was being done, for the message ("creating the prediction", "polling pred_x"). */
  action: string;
  signal?: AbortSignal;
  now: Date;
}

/** A JobkitError for an HTTP status from Replicate (or an output host). */
export function errorForStatus(status: number, headers: Headers | null, bodyText: string, ctx: MapContext): JobkitError {
  const detail = replicateDetail(bodyText);
  const message = `Replicate ${ctx.action}: HTTP ${status}${detail ? ` — ${detail}` : ''}`;
  const details = { status, provider: 'replicate' };
  if (status === 429) {
    return new JobkitError('RATE_LIMITED', message, {
      retryAfterMs: parseRetryAfterMs(headers, bodyText, ctx.now) ?? DEFAULT_RATE_LIMIT_WAIT_MS,
      details,
    });
  }
  if (status >= 500) return new JobkitError(ctx.step, message, { retryable: true, details });
  if (status === 401 || status === 403) return new JobkitError('UNAUTHORIZED', message, { details });
  if (status === 408) return new JobkitError('PROVIDER_TIMEOUT', message, { details });
  return new JobkitError(ctx.step, message, { retryable: false, details });
}

export function toJobkitError(error: unknown, ctx: MapContext): JobkitError {
  if (JobkitError.is(error)) return error;
  if (ctx.signal?.aborted) return new JobkitError('CANCELLED', `Replicate ${ctx.action} was cancelled`, { cause: error });
  const response = (error as { response?: unknown } | null)?.response;
  if (response instanceof UpstreamFailure) {
    const up = response.upstream;
    if (up.status !== null) return errorForStatus(up.status, up.headers, up.bodyText, ctx);
    return networkError(up.error, ctx);
  }
  if (response instanceof Response) {
    // The client already consumed the body into its message: "… failed with status 422 …: {body}."
    const text = error instanceof Error ? error.message.replace(/^Request to \S+ failed with status \d+[^:]*:\s*/s, '').replace(/\.$/, '') : '';
    return errorForStatus(response.status, response.headers, text, ctx);
  }
  return networkError(error, ctx);
}

export function networkError(error: unknown, ctx: MapContext): JobkitError {
  const text = error instanceof Error ? error.message : String(error);
  if (isTimeout(error)) return new JobkitError('PROVIDER_TIMEOUT', `Replicate ${ctx.action} timed out: ${text}`, { cause: error });
  return new JobkitError(ctx.step, `Replicate ${ctx.action} failed: ${text}`, { retryable: true, cause: error });
}
