import type { Job } from '../domain/job.js';
import type { JobStatus } from '../domain/status.js';
import type { JobkitError } from '../errors.js';

export interface WorkerEvents {
  /** A step finished and the job moved from `from` to `job.status`. */
  'job:step': { job: Job; from: JobStatus; durationMs: number; costUsd: number; skipped: boolean };
  /** A retryable error: the job waits `delayMs` before its next try. */
  'job:retry': { job: Job; error: JobkitError; delayMs: number };
  'job:failed': { job: Job; error: JobkitError };
  'job:done': { job: Job };
  /** A hosted provider is still working (webhook mode); the job was released until it reports back. */
  'job:pending': { job: Job; checkAfterMs: number };
  /** Something outside a job's control went wrong (store unreachable, lease lost …). */
  error: { error: Error; jobId?: string };
}

export type WorkerEventName = keyof WorkerEvents;
export type WorkerListener<E extends WorkerEventName> = (payload: WorkerEvents[E]) => void;
