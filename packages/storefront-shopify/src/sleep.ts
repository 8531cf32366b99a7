import { JobkitError } from 'jobkit';

/** The error every step throws when the worker aborts it (stop past grace, lost lease). */
export function cancelled(signal: AbortSignal): JobkitError {
  return new JobkitError('CANCELLED', 'Shopify push cancelled', { cause: signal.reason });
}

/** Waits `ms`, rejecting with CANCELLED as soon as `signal` aborts (the timer is cleared). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(cancelled(signal));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancelled(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
