/**
 * The worker-thread pool every sharp provider runs its image work on, so that no pixel loop (decode
 * normalisation, segmentation, matting, quality scoring, blending, background rendering) ever runs on
 * the event loop. A task gets compressed bytes in and hands compressed bytes back (moved, not copied);
 * decoding and encoding happen inside the thread (sharp itself runs on libuv's pool).
 *
 * - Admission: a task starts only when a thread is free and its decoded pixels fit the pixel budget
 *   (budget/pixel-budget.ts), so memory is bounded by pixels in flight, not by the number of jobs.
 * - Cancellation: aborting the step's signal removes a waiting task, or terminates the thread running it
 *   (a replacement thread starts); the task rejects with CANCELLED.
 * - Isolation: a thread that dies (uncaught error, out of memory, process.exit in the thread) fails only
 *   its task, with a retryable error in the step's code; the process and the other threads carry on.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { JobkitError, type ErrorCode } from 'jobkit';
import { requireInt } from '../errors.js';
import { createPixelBudget, DEFAULT_PIXEL_BUDGET, type PixelBudget, type PixelBudgetStats } from '../budget/pixel-budget.js';
import { fromWireError, type ImageTask, type WireResult } from './wire.js';

export interface ImagePoolOptions {
  /** Worker threads. Default: the number of cores (`os.availableParallelism()`). */
  threads?: number;
  /** Pixel budget shared by every task of this pool. Default: a budget of DEFAULT_PIXEL_BUDGET. */
  budget?: PixelBudget;
  /** Size of the default budget (ignored when `budget` is given). Default DEFAULT_PIXEL_BUDGET (24 MP). */
  maxPixels?: number;
  /**
   * The worker module (a file path or file: URL). Default: this package's own worker. Meant for tests
   * and for hosts that bundle the package and ship the worker file elsewhere.
   */
  workerFile?: string;
}

export interface RunOptions {
  /** Decoded pixels the task will hold at its peak (for the budget). */
  pixels: number;
  /** Aborting cancels the task: dequeued if waiting, its thread terminated if running. */
  signal?: AbortSignal;
  /** Code of a failure that is not the task's own JobkitError (thread crash, unexpected error). */
  errorCode: ErrorCode;
  /** What the task does, for error messages, e.g. "studio segmentation". */
  what: string;
  /** ArrayBuffers to move to the thread instead of copying (they become unusable here). */
  transfer?: ArrayBuffer[];
}

export interface ImagePoolStats extends PixelBudgetStats {
  threads: number;
  /** Threads alive now (they start on first use and are replaced when one dies). */
  liveThreads: number;
  completed: number;
}

export interface ImagePool {
  readonly threads: number;
  readonly budget: PixelBudget;
  run<O>(task: ImageTask, options: RunOptions): Promise<O>;
  stats(): ImagePoolStats;
  /** Thread ids of the live threads (diagnostics and tests). */
  threadIds(): number[];
  /** Waits for running tasks and stops the threads. */
  close(): Promise<void>;
}

/** The worker entry next to this module: .ts from source (tests, tsx), .js / .cjs when built by tsup. */
function defaultWorkerFile(): string {
  const here = import.meta.url;
  const ext = here.match(/\.(ts|mts|js|mjs|cjs)$/)?.[1] ?? 'js';
  // From source: src/pool/image-worker.ts; built: dist/image-worker.{js,cjs} next to dist/index.{js,cjs}.
  return new URL(`./image-worker.${ext}`, here).href;
}

/**
 * A worker written in TypeScript (this package run from source: vitest, tsx, the repo's @jobkit/source
 * condition) needs a TypeScript loader and the same export condition in its thread.
 */
function execArgvFor(file: string): string[] | undefined {
  if (!/\.m?ts$/.test(file)) return undefined;
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return ['--import', tsx, '--conditions=@jobkit/source'];
}

export function createImagePool(options: ImagePoolOptions = {}): ImagePool {
  const threads = requireInt(options.threads ?? availableParallelism(), 'threads', 1, 256);
  const budget = options.budget ?? createPixelBudget({ maxPixels: options.maxPixels ?? DEFAULT_PIXEL_BUDGET, maxTasks: threads });
  const file = options.workerFile ?? defaultWorkerFile();
  const execArgv = execArgvFor(file);
  let piscina: Piscina | null = null;
  let completed = 0;

  // Started on first use: a process that never touches an image starts no thread.
  const threadPool = (): Piscina =>
    (piscina ??= new Piscina({
      filename: file,
      minThreads: threads,
      maxThreads: threads,
      // Threads stay up once started (a thread costs ~20 MB; starting one costs more than it saves);
      // idle ones are unref'd by piscina, so they never keep the process alive.
      idleTimeout: Number.POSITIVE_INFINITY,
      // One task per thread: the budget has already decided what may run, so nothing queues in piscina.
      concurrentTasksPerWorker: 1,
      atomics: 'disabled',
      ...(execArgv ? { execArgv } : {}),
    }));

  return {
    threads,
    budget,
    async run<O>(task: ImageTask, opts: RunOptions): Promise<O> {
      const release = await budget.acquire(opts.pixels, opts.signal);
      let result: WireResult<O>;
      try {
        result = (await threadPool().run(task, {
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.transfer ? { transferList: opts.transfer } : {}),
        })) as WireResult<O>;
      } catch (err) {
        if (isAbort(err) || opts.signal?.aborted) {
          throw new JobkitError('CANCELLED', `${opts.what} cancelled`, { cause: opts.signal?.reason ?? err });
        }
        // The task never answered: its thread died. Another try (or another thread) may well succeed.
        throw new JobkitError(opts.errorCode, `${opts.what}: the image worker thread crashed (${(err as Error)?.message ?? String(err)})`, {
          retryable: true,
          cause: err,
        });
      } finally {
        release();
        completed++;
      }
      if (!result.ok) throw fromWireError(result.error, opts.errorCode, opts.what);
      return result.value;
    },
    stats: () => ({ ...budget.stats(), threads, liveThreads: piscina?.threads.length ?? 0, completed }),
    threadIds: () => piscina?.threads.map((t) => t.threadId) ?? [],
    async close() {
      const p = piscina;
      piscina = null;
      await p?.close();
    },
  };
}

function isAbort(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError';
}

let shared: ImagePool | null = null;

/**
 * The process-wide pool the sharp providers use unless given one: every provider (and every
 * createSharpProviders() call) in a process shares its threads and its pixel budget.
 */
export function sharedImagePool(): ImagePool {
  shared ??= createImagePool();
  return shared;
}
