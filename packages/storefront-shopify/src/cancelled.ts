/** How a push stops when the worker aborts it (stop past grace, lost lease). */
import { setTimeout as delay } from 'node:timers/promises';
import { JobkitError } from 'jobkit';

/** The error every step throws when the worker aborts it. */
export function cancelled(signal: AbortSignal): JobkitError {
  return new JobkitError('CANCELLED', 'Shopify push cancelled', { cause: signal.reason });
}

/** Waits `ms` (node:timers/promises), rejecting with CANCELLED as soon as `signal` aborts. */
export async function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(Math.max(0, ms), undefined, { signal });
  } catch (err) {
    if (signal.aborted) throw cancelled(signal);
    throw err;
  }
}
