/**
 * When a prediction may be created on one Replicate account. Two rules: the account's rate, kept by the
 * core limiter (`createLimiter`: at most `perMinute` creates in any sliding minute, shared by the providers
 * of one runtime), and Replicate's own word after a 429: no create starts before the reset it announced.
 * A reset further away than `maxWaitMs` is not waited out in-process: RATE_LIMITED goes to the worker,
 * which reschedules the job and frees its lease.
 */
import { JobkitError, type Clock, type Limiter } from 'jobkit';
import type { Sleep } from './runtime.js';

export interface CreationGate {
  /** Runs `create` once both rules allow it. Aborting `signal` before `create` started throws CANCELLED. */
  run<T>(create: () => Promise<T>, signal: AbortSignal): Promise<T>;
  /** After a 429: no create starts before `untilMs` (epoch ms on the runtime's clock). */
  pauseUntil(untilMs: number): void;
}

export interface CreationGateOptions {
  limiter: Limiter;
  clock: Clock;
  sleep: Sleep;
  /** Longest reset waited out in-process (ms). */
  maxWaitMs: number;
}

export function createCreationGate(opts: CreationGateOptions): CreationGate {
  let pausedUntil = 0;
  return {
    async run(create, signal) {
      const wait = pausedUntil - opts.clock.now().getTime();
      if (wait > opts.maxWaitMs) {
        throw new JobkitError('RATE_LIMITED', `Replicate asked to wait ${Math.ceil(wait)} ms before creating more predictions`, {
          retryAfterMs: wait,
          details: { source: 'replicate-reset' },
        });
      }
      if (wait > 0) await opts.sleep(wait, signal);
      let started = false;
      try {
        return await opts.limiter.run(() => {
          started = true;
          return create();
        }, signal);
      } catch (err) {
        // Aborted while queued: nothing was sent, so nothing can exist to cancel.
        if (!started && signal.aborted) throw new JobkitError('CANCELLED', 'creating a Replicate prediction was cancelled', { cause: err });
        throw err;
      }
    },
    pauseUntil(untilMs) {
      pausedUntil = Math.max(pausedUntil, untilMs);
    },
  };
}
