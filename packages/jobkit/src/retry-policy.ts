/** Retry policy: exponential backoff from 2 s (2, 4, 8 …) with a cap and switchable jitter. */
import { invalidInput } from './errors.js';
import type { Job } from './domain/job.js';

export interface RetryDelayOptions {
  /** First delay, ms (default 2000). */
  baseMs?: number;
  /** Upper bound, ms (default 5 minutes). */
  maxMs?: number;
  /** 'full' = uniform in [0.5·d, d] ("equal jitter", never near-zero); 'none' = exact (default 'full'). */
  jitter?: 'full' | 'none';
  /** Injectable random source in [0, 1) for deterministic tests. */
  random?: () => number;
  /** A provider's Retry-After; wins when larger than the computed delay. */
  retryAfterMs?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 5;

/**
 * Delay before try number `attempt + 1`, where `attempt` is the number of failed tries so far (1-based):
 * attempt 1 → 2 s, 2 → 4 s, 3 → 8 s … capped at maxMs, then jittered.
 */
export function getRetryDelay(attempt: number, opts: RetryDelayOptions = {}): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw invalidInput('attempt', 'must be an integer ≥ 1');
  const base = opts.baseMs ?? 2_000;
  const max = opts.maxMs ?? 300_000;
  if (!(base > 0) || !(max >= base)) throw invalidInput('baseMs', 'need 0 < baseMs ≤ maxMs');
  const exp = Math.min(max, base * 2 ** Math.min(attempt - 1, 40));
  let delay = exp;
  if ((opts.jitter ?? 'full') === 'full') {
    const r = (opts.random ?? Math.random)();
    delay = Math.round(exp / 2 + (exp / 2) * Math.min(Math.max(r, 0), 1));
  }
  if (opts.retryAfterMs !== undefined && opts.retryAfterMs > delay) return Math.round(opts.retryAfterMs);
  return delay;
}

/** Whether the job may try its current step again: fewer than `maxAttempts` tries so far. */
export function canRetry(job: Pick<Job, 'attempts' | 'maxAttempts'>, maxAttempts: number = job.maxAttempts): boolean {
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw invalidInput('maxAttempts', 'must be an integer ≥ 1');
  return job.attempts < maxAttempts;
}
