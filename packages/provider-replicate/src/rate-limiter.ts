/**
 * Token bucket for prediction creation. Replicate allows 600 creates/min per account (bursts above it are
 * throttled with 429); every process sharing an account needs its own share, so the rate is configurable.
 * Reservations are synchronous (tokens may go negative = a queue), so concurrent callers are spaced out
 * without a lock. A 429 pauses the bucket until the server's reset time.
 */
import { JobkitError, invalidInput, type Clock } from 'jobkit';
import type { Sleep } from './sleep.js';

export interface RateLimiterOptions {
  /** Sustained creates per minute (default 600, Replicate's per-account limit). */
  perMinute?: number;
  /** Tokens available at once (default: one second's worth, at least 1). */
  burst?: number;
  /** Longest a caller waits in the queue before getting RATE_LIMITED instead (default 30 s). */
  maxWaitMs?: number;
  clock: Clock;
  sleep: Sleep;
}

export interface RateLimiter {
  /** Waits for a token; throws RATE_LIMITED (with retryAfterMs) when the wait would exceed maxWaitMs. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Blocks new acquisitions until `untilMs` (epoch ms), e.g. after a 429. */
  pauseUntil(untilMs: number): void;
}

export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const perMinute = opts.perMinute ?? 600;
  if (!(Number.isFinite(perMinute) && perMinute > 0)) throw invalidInput('rateLimit.perMinute', 'must be a positive number');
  const burst = opts.burst ?? Math.max(1, Math.floor(perMinute / 60));
  if (!(Number.isFinite(burst) && burst >= 1)) throw invalidInput('rateLimit.burst', 'must be ≥ 1');
  const maxWaitMs = opts.maxWaitMs ?? 30_000;
  const perMs = perMinute / 60_000;
  let tokens = burst;
  let last = opts.clock.now().getTime();
  let pausedUntil = 0;

  const refill = (now: number): void => {
    tokens = Math.min(burst, tokens + (now - last) * perMs);
    last = now;
  };

  return {
    async acquire(signal) {
      const now = opts.clock.now().getTime();
      refill(now);
      tokens -= 1;
      const wait = Math.max(tokens >= 0 ? 0 : -tokens / perMs, pausedUntil - now);
      if (wait <= 0) return;
      if (wait > maxWaitMs) {
        tokens += 1;
        throw new JobkitError('RATE_LIMITED', `Replicate prediction creation is rate limited locally for ${Math.ceil(wait)} ms`, {
          retryAfterMs: wait,
          details: { source: 'local-limiter' },
        });
      }
      try {
        await opts.sleep(wait, signal);
      } catch (err) {
        tokens += 1;
        throw err;
      }
    },
    pauseUntil(untilMs) {
      pausedUntil = Math.max(pausedUntil, untilMs);
    },
  };
}
