/**
 * One run of the embedded worker for a set of jobs: starts the worker, follows the jobs through its events
 * (and a periodic store read, for jobs another process finishes), reports progress, and stops the worker
 * gracefully once every job rests — DONE, FAILED, or held in REVIEW for a person (the worker never claims
 * those, so waiting for them would hang the run) — or when interrupted (in-flight steps finish first).
 */
import { isTerminal, type Job, type JobStatus, type JobStore, type Worker } from 'jobkit';
import { holdOf } from './hold-reason.js';
import type { RejectedInput } from './input.js';
import type { ProgressReporter } from './progress.js';
import type { OutputStream } from './io.js';

/** held: waiting in REVIEW (`jobkit review` approves or rejects it). */
export type JobOutcome = 'done' | 'skipped' | 'failed' | 'held' | 'pending';

/** Where a run stops following a job: finished, or waiting for a person. */
function isResting(status: JobStatus): boolean {
  return isTerminal(status) || status === 'REVIEW';
}

export interface JobReport {
  id: string;
  sku: string;
  theme: string;
  source: string;
  status: Job['status'];
  outcome: JobOutcome;
  errorCode: string | null;
  errorMessage: string | null;
  /** The cutout's quality score (0..1), once segmentation ran and a gate scored it. */
  qualityScore: number | null;
  /** Why the cut looks doubtful (the quality gate's reasons). */
  qualityReasons: string[];
  /** Held jobs: why the service holds it (its REVIEW event's words); null otherwise. */
  heldFor: string | null;
}

export interface RunResult {
  jobs: JobReport[];
  rejected: RejectedInput[];
  spendUsd: number;
  elapsedMs: number;
  interrupted: boolean;
}

export interface JobRunOptions {
  worker: Worker;
  store: JobStore;
  progress: ProgressReporter;
  stderr: OutputStream;
  signal?: AbortSignal | undefined;
  /** Grace period for in-flight steps when stopping (default 30 s). */
  stopTimeoutMs?: number;
  /** How often unfinished jobs are re-read from the store (default 1 s). */
  pollMs?: number;
  now?: () => number;
}

interface Entry {
  job: Job;
  source: string;
  /** Settled in this run's accounting: already done before it started. */
  skipped: boolean;
  retrying: boolean;
}

export interface JobRun {
  /** A job the worker must finish (non-terminal, worker-driven; one in REVIEW counts as held at once). Repeats of one job id are counted once. */
  track(job: Job, source: string): void;
  /** A job that was already DONE (or FAILED and not retried): counted, not run. */
  settled(job: Job, source: string): void;
  reject(entry: RejectedInput): void;
  readonly interrupted: boolean;
  /** Resolves when every tracked job rests (call after the last track) or the run was interrupted. */
  finish(): Promise<RunResult>;
}

export function startJobRun(opts: JobRunOptions): JobRun {
  const now = opts.now ?? Date.now;
  const startedAt = now();
  const entries = new Map<string, Entry>();
  const pending = new Set<string>();
  const rejected: RejectedInput[] = [];
  let spendUsd = 0;
  let interrupted = opts.signal?.aborted === true;
  let wakeWaiter: (() => void) | null = null;
  const wake = () => wakeWaiter?.();

  const snapshot = () => {
    let done = 0;
    let failed = 0;
    let held = 0;
    let skipped = 0;
    let retrying = 0;
    for (const e of entries.values()) {
      if (e.skipped) skipped++;
      else if (e.job.status === 'DONE') done++;
      else if (e.job.status === 'FAILED') failed++;
      else if (e.job.status === 'REVIEW') held++;
      else if (e.retrying) retrying++;
    }
    return { total: entries.size - skipped, done, failed, held, skipped, retrying, spendUsd };
  };
  const report = () => opts.progress.update(snapshot());

  const settle = (job: Job) => {
    const e = entries.get(job.id);
    if (!e || e.skipped) return;
    e.job = job;
    e.retrying = false;
    if (isResting(job.status)) pending.delete(job.id);
    report();
    if (pending.size === 0) wake();
  };

  const offs = [
    opts.worker.on('job:done', ({ job }) => settle(job)),
    opts.worker.on('job:failed', ({ job }) => settle(job)),
    opts.worker.on('job:step', ({ job, costUsd }) => {
      if (!entries.has(job.id)) return;
      spendUsd += costUsd;
      settle(job);
    }),
    opts.worker.on('job:retry', ({ job, error, delayMs }) => {
      const e = entries.get(job.id);
      if (!e) return;
      e.job = job;
      e.retrying = true;
      opts.stderr.write(`retrying ${job.sku} (${job.theme}) in ${Math.round(delayMs / 1000)} s: ${error.code} ${error.message}\n`);
      report();
    }),
    opts.worker.on('error', ({ error, jobId }) => {
      opts.stderr.write(`warning: worker${jobId ? ` (job ${jobId})` : ''}: ${error.message}\n`);
    }),
  ];

  const onAbort = () => {
    interrupted = true;
    wake();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  // Jobs finished by another process (or events this process missed) are picked up here.
  const poll = setInterval(() => {
    void (async () => {
      for (const id of [...pending]) {
        const job = await opts.store.get(id).catch(() => null);
        if (job && isResting(job.status)) settle(job);
      }
    })();
  }, opts.pollMs ?? 1_000);
  poll.unref?.();

  opts.worker.start();
  report();

  return {
    track(job, source) {
      if (entries.has(job.id)) return;
      entries.set(job.id, { job, source, skipped: false, retrying: false });
      if (!isResting(job.status)) pending.add(job.id);
      opts.worker.wake();
      report();
    },
    settled(job, source) {
      if (entries.has(job.id)) return;
      entries.set(job.id, { job, source, skipped: job.status === 'DONE', retrying: false });
      report();
    },
    reject(entry) {
      rejected.push(entry);
    },
    get interrupted() {
      return interrupted;
    },
    async finish() {
      while (pending.size > 0 && !interrupted) {
        await new Promise<void>((resolve) => {
          wakeWaiter = resolve;
          if (pending.size === 0 || interrupted) resolve();
        });
        wakeWaiter = null;
      }
      clearInterval(poll);
      opts.signal?.removeEventListener('abort', onAbort);
      await opts.worker.stop({ timeoutMs: opts.stopTimeoutMs ?? 30_000 });
      for (const off of offs) off();
      // The store has the last word: a step that finished during stop() is counted.
      for (const e of entries.values()) {
        if (e.skipped) continue;
        const fresh = await opts.store.get(e.job.id).catch(() => null);
        if (fresh) e.job = fresh;
      }
      const heldFor = new Map<string, string | null>();
      for (const e of entries.values()) {
        if (e.skipped || e.job.status !== 'REVIEW') continue;
        heldFor.set(e.job.id, holdOf(await opts.store.listEvents(e.job.id).catch(() => [])).reason);
      }
      opts.progress.update(snapshot());
      opts.progress.stop();
      const jobs: JobReport[] = [...entries.values()].map((e) => ({
        id: e.job.id,
        sku: e.job.sku,
        theme: e.job.theme,
        source: e.source,
        status: e.job.status,
        outcome: outcomeOf(e),
        errorCode: e.job.errorCode,
        errorMessage: e.job.errorMessage,
        qualityScore: e.job.quality?.score ?? null,
        qualityReasons: e.job.quality?.reasons ?? [],
        heldFor: heldFor.get(e.job.id) ?? null,
      }));
      return { jobs, rejected, spendUsd: Math.round(spendUsd * 1e6) / 1e6, elapsedMs: now() - startedAt, interrupted };
    },
  };
}

function outcomeOf(e: Entry): JobOutcome {
  if (e.skipped) return 'skipped';
  switch (e.job.status) {
    case 'DONE':
      return 'done';
    case 'FAILED':
      return 'failed';
    case 'REVIEW':
      return 'held';
    default:
      return 'pending';
  }
}
