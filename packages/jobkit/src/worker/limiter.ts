/**
 * Per-provider limiter: at most `concurrency` calls at once and at most `perMinute` call starts in any
 * sliding minute (token bucket refilled continuously). Per process: with N worker processes, give each
 * perMinute / N (see the README's sizing notes).
 */
import { invalidInput } from '../errors.js';

export interface LimitOptions {
  concurrency?: number;
  perMinute?: number;
}

export interface Limiter {
  run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  readonly active: number;
  readonly waiting: number;
}

export function createLimiter(opts: LimitOptions = {}, now: () => number = Date.now): Limiter {
  const concurrency = opts.concurrency ?? Infinity;
  const perMinute = opts.perMinute ?? Infinity;
  if (!(concurrency >= 1)) throw invalidInput('concurrency', 'must be ≥ 1');
  if (!(perMinute > 0)) throw invalidInput('perMinute', 'must be > 0');
  // A burst of up to one second's worth of calls; the refill rate is reduced by the burst's extra tokens,
  // so no sliding 60-second window ever sees more than `perMinute` starts.
  const capacity = Number.isFinite(perMinute) ? Math.max(1, Math.ceil(perMinute / 60)) : Infinity;
  const refillPerMinute = Number.isFinite(perMinute) ? perMinute - (capacity - 1) : Infinity;
  let tokens = capacity;
  let last = now();
  let active = 0;
  const queue: Array<() => void> = [];
  let timer: NodeJS.Timeout | null = null;

  const refill = () => {
    if (!Number.isFinite(perMinute)) return;
    const t = now();
    tokens = Math.min(capacity, tokens + ((t - last) * refillPerMinute) / 60_000);
    last = t;
  };
  const pump = () => {
    refill();
    while (queue.length > 0 && active < concurrency && tokens >= 1) {
      tokens -= Number.isFinite(perMinute) ? 1 : 0;
      active++;
      queue.shift()!();
    }
    if (queue.length > 0 && active < concurrency && tokens < 1 && !timer) {
      const waitMs = Math.ceil(((1 - tokens) * 60_000) / refillPerMinute);
      timer = setTimeout(() => {
        timer = null;
        pump();
      }, waitMs);
      timer.unref?.();
    }
  };

  return {
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
    run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const reason = () => (signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
        if (signal?.aborted) return reject(reason());
        // A caller that gives up while waiting leaves the queue at once: it takes no slot and no token.
        const onAbort = () => {
          const i = queue.indexOf(start);
          if (i >= 0) queue.splice(i, 1);
          reject(reason());
        };
        const start = () => {
          signal?.removeEventListener('abort', onAbort);
          fn()
            .then(resolve, reject)
            .finally(() => {
              active--;
              pump();
            });
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(start);
        pump();
      });
    },
  };
}
