import type { ErrorCode } from '../errors.js';
import type { CutoutQuality } from '../ports/quality.js';
import type { JobStatus } from './status.js';

/** Who drives a job: the built-in worker, or an outside orchestrator through the step operations. */
export type JobDriver = 'worker' | 'external';

/** Which segmenter an operator asked for when rejecting a cut (see rejectJob). */
export type SegmentWith = 'hosted';

/** One product photo × one theme. Identity for idempotency: (sku, sha256, theme). */
export interface Job {
  id: string;
  sku: string;
  /** http(s) URL of the original; null when the original was uploaded (`originalKey` given at create). */
  imageUrl: string | null;
  sha256: string;
  theme: string;
  status: JobStatus;
  /** null until the job is started. */
  driver: JobDriver | null;
  /** Tries of the current step. */
  attempts: number;
  maxAttempts: number;
  /** When the next try may run (backoff, rate limit, budget); null = now. ISO-8601 UTC. */
  nextRunAt: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  /** The status the job failed in: where retryJob resumes. */
  failedStatus: JobStatus | null;
  /** Id of an in-flight provider request, recorded before waiting on it. */
  providerRef: string | null;
  originalKey: string | null;
  maskKey: string | null;
  backgroundKeys: string[];
  /** Composite masters, one per aspect × variant. */
  compositeKeys: string[];
  thumbnailKeys: string[];
  /** Hero / product-page sizes in JPEG, WebP, AVIF. */
  derivativeKeys: string[];
  storefrontMediaIds: string[];
  /** The cutout's quality (score 0..1 and reasons), set once segmentation ran; null before (or for 0.1 jobs). */
  quality: CutoutQuality | null;
  /**
   * 'hosted' after an operator rejected the cut in review and asked for the hosted segmenter: the next
   * SEGMENTING run uses it. Cleared when segmentation completes.
   */
  segmentWith: SegmentWith | null;
  costUsd: number;
  errorCode: ErrorCode | string | null;
  errorMessage: string | null;
  errorStack: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  completedAt: string | null;
  /** Set when cleanup removed the job's data but kept its identity (a tombstone). */
  purgedAt: string | null;
  /** Bumped on every write: optimistic concurrency and lease fencing. */
  version: number;
}

/** Fields a write may change (identity, id and createdAt never change). */
export type JobMutableFields = Omit<Job, 'id' | 'sku' | 'sha256' | 'theme' | 'createdAt' | 'version' | 'imageUrl'>;
export type JobUpdates = Partial<JobMutableFields>;

/** One row of the append-only event log, written in the same transaction as the job update. */
export interface JobEvent {
  /** Monotonic per store. */
  id: number;
  jobId: string;
  at: string;
  from: JobStatus | null;
  to: JobStatus;
  attempt: number;
  errorCode: string | null;
  message: string | null;
  /** Spend added by this write (USD); summed per day for the budget cap. */
  costUsd: number;
}

export type NewJobEvent = Omit<JobEvent, 'id'>;

export interface JobFilter {
  status?: JobStatus | undefined;
  sku?: string | undefined;
  theme?: string | undefined;
  /** Include cleaned-up tombstones (default false). */
  includePurged?: boolean | undefined;
}

export interface JobPage {
  jobs: Job[];
  total: number;
  limit: number;
  offset: number;
}

export interface JobStats {
  total: number;
  byStatus: Record<JobStatus, number>;
  costUsdTotal: number;
  /** Spend since UTC midnight, from the event log. */
  costUsdToday: number;
  /** Mean createdAt → completedAt of DONE jobs, ms; null when none. */
  avgDurationMs: number | null;
  /** FAILED / (DONE + FAILED); 0 when none finished. */
  failureRate: number;
  /** Created time of the oldest QUEUED job, for queue-age metrics. */
  oldestQueuedAt: string | null;
}

/** What a new job needs; everything else starts empty. */
export type NewJobFields = Pick<Job, 'id' | 'sku' | 'sha256' | 'theme'> & Partial<Omit<Job, 'id' | 'sku' | 'sha256' | 'theme'>>;

/**
 * A job record as first stored (version 1, no keys, no cost, no error), timestamped `at`. Pure: the one
 * place that lists every field's initial value (the service, the test factory and store tests use it).
 */
export function newJobRecord(fields: NewJobFields, at: string): Job {
  return {
    imageUrl: null,
    status: 'NEW',
    driver: null,
    attempts: 0,
    maxAttempts: 5,
    nextRunAt: null,
    leaseOwner: null,
    leaseExpiresAt: null,
    failedStatus: null,
    providerRef: null,
    originalKey: null,
    maskKey: null,
    backgroundKeys: [],
    compositeKeys: [],
    thumbnailKeys: [],
    derivativeKeys: [],
    storefrontMediaIds: [],
    quality: null,
    segmentWith: null,
    costUsd: 0,
    errorCode: null,
    errorMessage: null,
    errorStack: null,
    createdAt: at,
    updatedAt: at,
    startedAt: null,
    completedAt: null,
    purgedAt: null,
    version: 1,
    ...fields,
  };
}
