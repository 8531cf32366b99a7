/** Abortable waiting. Injectable so tests can drive the clock instead of waiting for real. */
import { JobkitError } from 'jobkit';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export function cancelledError(what: string, cause?: unknown): JobkitError {
  return new JobkitError('CANCELLED', `${what} was cancelled`, cause === undefined ? {} : { cause });
}

export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelledError('waiting'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancelledError('waiting'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
