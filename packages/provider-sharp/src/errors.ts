/** Typed errors this package raises; every failure leaves as a JobkitError with a stable code. */
import { JobkitError, invalidInput } from 'jobkit';

/** The step cannot succeed on this photo: retrying the same bytes would give the same answer. */
export function segmentFailed(message: string, details?: Record<string, unknown>): JobkitError {
  return new JobkitError('SEGMENT_FAILED', message, { retryable: false, ...(details ? { details } : {}) });
}

export function compositeFailed(message: string, cause?: unknown): JobkitError {
  return new JobkitError('COMPOSITE_FAILED', message, { retryable: false, ...(cause !== undefined ? { cause } : {}) });
}

export function backgroundFailed(message: string, cause?: unknown): JobkitError {
  return new JobkitError('BACKGROUND_FAILED', message, { retryable: false, ...(cause !== undefined ? { cause } : {}) });
}

/** Thrown between outputs when the worker aborts the step (stop past grace period, lost lease). */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new JobkitError('CANCELLED', 'operation aborted', { cause: signal.reason });
}

export function requireInt(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidInput(field, `must be an integer in ${min}..${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function requireNumber(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidInput(field, `must be a number in ${min}..${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}
