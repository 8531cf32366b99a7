/**
 * Admission by pixels, not by job count: decoded images cost memory in proportion to their pixels, so a
 * 50 MP photo and a 1 MP photo are not the same load. A step asks for the pixels it will hold decoded
 * and waits until they fit in the budget. A request larger than the whole budget still runs — alone, once
 * nothing else holds pixels — so no photo the decoder accepts can wait forever.
 *
 * Waiters are served strictly first come, first served: small requests do not overtake a large one at the
 * head of the queue (which would starve it).
 */
import { JobkitError } from 'jobkit';
import { requireInt } from '../errors.js';

export interface PixelBudgetOptions {
  /** Pixels held at once by every admitted step together. Default DEFAULT_PIXEL_BUDGET. */
  maxPixels?: number;
  /** Steps admitted at once regardless of size (e.g. the image worker threads). Default unlimited. */
  maxTasks?: number;
}

export interface PixelBudgetStats {
  capacity: number;
  maxTasks: number;
  inUse: number;
  running: number;
  waiting: number;
}

export interface PixelBudget {
  /** Pixels admitted at once. */
  readonly capacity: number;
  /**
   * Waits until `pixels` fit (or, when larger than the capacity, until nothing else runs) and returns the
   * release function (idempotent). Rejects with CANCELLED if `signal` aborts while waiting.
   */
  acquire(pixels: number, signal?: AbortSignal): Promise<() => void>;
  /** acquire + run + release, also when `fn` throws. */
  use<T>(pixels: number, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T>;
  stats(): PixelBudgetStats;
}

/**
 * 24 MP: two 12 MP camera photos at once, a 50 MP photo alone, two dozen 1 MP photos together. The
 * heaviest step (segmentation) holds about 25 bytes per pixel at its peak (decoded photo, working images,
 * masks, RGBA cutout, PNG; measured in bench/pipeline), so the default bounds image working memory to
 * roughly 600 MB whatever the number of cores. Raise it with the memory you give the process.
 */
export const DEFAULT_PIXEL_BUDGET = 24_000_000;

interface Waiter {
  pixels: number;
  grant: (release: () => void) => void;
}

export function createPixelBudget(options: PixelBudgetOptions = {}): PixelBudget {
  const capacity = requireInt(options.maxPixels ?? DEFAULT_PIXEL_BUDGET, 'maxPixels', 1, Number.MAX_SAFE_INTEGER);
  const maxTasks = options.maxTasks === undefined ? Number.POSITIVE_INFINITY : requireInt(options.maxTasks, 'maxTasks', 1, 100_000);
  let inUse = 0;
  let running = 0;
  const queue: Waiter[] = [];

  const fits = (pixels: number): boolean => running < maxTasks && (running === 0 || inUse + pixels <= capacity);

  function admit(pixels: number): () => void {
    inUse += pixels;
    running += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      inUse -= pixels;
      running -= 1;
      drain();
    };
  }

  function drain(): void {
    while (queue.length > 0 && fits(queue[0]!.pixels)) {
      const w = queue.shift()!;
      w.grant(admit(w.pixels));
    }
  }

  const budget: PixelBudget = {
    capacity,
    acquire(pixels, signal) {
      if (!Number.isFinite(pixels) || pixels < 0) return Promise.reject(new JobkitError('INTERNAL', `pixel budget: bad request ${pixels}`));
      // Larger than everything: count it as the whole budget so it runs alone.
      const want = Math.min(Math.ceil(pixels), capacity);
      if (signal?.aborted) return Promise.reject(cancelled(signal));
      if (queue.length === 0 && fits(want)) return Promise.resolve(admit(want));
      return new Promise<() => void>((resolve, reject) => {
        const onAbort = (): void => {
          const i = queue.indexOf(waiter);
          if (i >= 0) queue.splice(i, 1);
          reject(cancelled(signal!));
          drain(); // the head may have been the one blocking the others
        };
        const waiter: Waiter = {
          pixels: want,
          grant: (release) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(release);
          },
        };
        queue.push(waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    async use(pixels, signal, fn) {
      const release = await budget.acquire(pixels, signal);
      try {
        return await fn();
      } finally {
        release();
      }
    },
    stats: () => ({ capacity, maxTasks, inUse, running, waiting: queue.length }),
  };
  return budget;
}

function cancelled(signal: AbortSignal): JobkitError {
  return new JobkitError('CANCELLED', 'cancelled while waiting for the pixel budget', { cause: signal.reason });
}
