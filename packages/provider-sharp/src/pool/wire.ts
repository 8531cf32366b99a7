/**
 * What crosses the thread boundary between the image pool and its worker threads. Errors are sent as
 * plain data (structured clone drops an Error's own properties such as `code` and `retryable`) and rebuilt
 * as JobkitErrors on the calling thread.
 */
import { isErrorCode, JobkitError, type ErrorCode } from 'jobkit';

export interface ImageTask<I = unknown> {
  kind: string;
  input: I;
}

/** An error raised by the task's own code. `code: null` = not a JobkitError (unexpected). */
export interface WireError {
  code: ErrorCode | null;
  message: string;
  retryable: boolean;
  details?: Record<string, unknown>;
}

export type WireResult<O = unknown> = { ok: true; value: O } | { ok: false; error: WireError };

export function toWireError(err: unknown): WireError {
  if (JobkitError.is(err)) {
    return { code: err.code, message: err.message, retryable: err.retryable, ...(err.details ? { details: err.details } : {}) };
  }
  const message = err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err);
  return { code: null, message, retryable: true };
}

/**
 * Rebuilds a task's error. A JobkitError keeps its code and retryability; anything unexpected becomes the
 * step's code (`fallback`) with that code's default retryability, as if it had been thrown in-thread.
 */
export function fromWireError(e: WireError, fallback: ErrorCode, what: string): JobkitError {
  if (e.code !== null && isErrorCode(e.code)) {
    return new JobkitError(e.code, e.message, { retryable: e.retryable, ...(e.details ? { details: e.details } : {}) });
  }
  return new JobkitError(fallback, `${what} failed: ${e.message}`);
}

/** A Buffer view of bytes that arrived from another thread (structured clone gives a plain Uint8Array). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A copy of `bytes` in an ArrayBuffer of its own, which can be transferred (moved without copying) to
 * another thread. sharp's output buffers are external memory that V8 cannot detach; posting them would
 * copy them on the receiving side anyway, so the copy is made here, on the worker thread.
 */
export function transferable(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(new ArrayBuffer(bytes.byteLength));
  copy.set(bytes);
  return copy;
}
