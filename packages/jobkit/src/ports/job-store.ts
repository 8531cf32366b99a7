import type { Job, JobEvent, JobFilter, JobStats, NewJobEvent } from '../domain/job.js';

export interface InsertJobOptions {
  /** Per-SKU limit of distinct photos (sha256) among non-failed jobs, checked in the same atomic step. */
  maxImagesPerSku?: number | undefined;
}

export type InsertJobResult = { job: Job; created: boolean };

export interface ListJobsQuery extends JobFilter {
  limit: number;
  offset: number;
}

export interface ClaimOptions {
  /** Lease holder (worker id). */
  owner: string;
  now: Date;
  leaseMs: number;
  /** At most this many jobs. */
  limit: number;
}

export interface LeaseRef {
  id: string;
  owner: string;
  /** The version the holder last saw; the write is refused (CONFLICT) when it differs. */
  version: number;
}

export interface DeleteFinishedOptions {
  /** Finished (DONE/FAILED) jobs completed before this instant are removed. */
  before: Date;
  /** Also forget the identity, so the same (sku, sha256, theme) can be created again. Default false. */
  forgetIdentities?: boolean | undefined;
  /** The tombstones' purgedAt: the caller's clock (JobService passes its own), so tests with a fake clock see it. */
  now: Date;
}

/**
 * Job storage port. Deliberately dumb: every rule lives in JobService; the store provides atomic
 * primitives. Atomicity comes from the database (unique index, transactions, row locks), not JS locks.
 * `runJobStoreConformance` from `jobkit/testing` proves an implementation.
 *
 * Timestamps cross this port as ISO-8601 UTC strings (Job fields) and Dates (arguments); each store
 * picks its own column type and must round-trip them exactly (millisecond precision).
 */
export interface JobStore {
  /**
   * Inserts `job` (with `job.version` as its initial version) and `event`, unless a job — or a tombstone —
   * with the same (sku, sha256, theme) exists, in which case that job is returned with `created: false`.
   * When `maxImagesPerSku` is set and the identity is new, counts distinct sha256 among the SKU's non-failed
   * jobs (including this photo's other themes) in the same atomic step and throws IMAGE_LIMIT_REACHED when
   * adding a new photo would exceed it.
   */
  insertOrGet(job: Job, event: NewJobEvent, opts?: InsertJobOptions): Promise<InsertJobResult>;

  /** The job, tombstones included; null when absent. */
  get(id: string): Promise<Job | null>;

  /** Jobs matching the filter, newest first (createdAt desc, id desc), and the total count. */
  list(query: ListJobsQuery): Promise<{ jobs: Job[]; total: number }>;

  /**
   * Compare-and-set: writes every mutable field of `job` where the stored version equals `job.version`,
   * stores version + 1, appends `event` in the same transaction, and returns the stored job. Throws CONFLICT
   * (writing nothing) on a version mismatch, NOT_FOUND when the job does not exist.
   */
  update(job: Job, event: NewJobEvent): Promise<Job>;

  /**
   * Claims up to `limit` due worker-driven jobs: driver = 'worker', status QUEUED or a step status,
   * nextRunAt null or ≤ now, and no live lease (null or expired). Sets leaseOwner and leaseExpiresAt =
   * now + leaseMs, bumps version. Oldest due first. Two concurrent claimers never get the same job.
   * Claims write no event.
   */
  claimDue(opts: ClaimOptions): Promise<Job[]>;

  /** Extends a lease held by `ref.owner` at `ref.version`; bumps and returns the job. CONFLICT otherwise. */
  renewLease(ref: LeaseRef, now: Date, leaseMs: number): Promise<Job>;

  /** Clears a lease held by `ref.owner` at `ref.version` (bumps version). Returns false when not held. */
  releaseLease(ref: LeaseRef): Promise<boolean>;

  /** Counts, spend and durations over live (non-purged) jobs; "today" starts at UTC midnight of `now`. */
  stats(now: Date): Promise<JobStats>;

  /** Sum of event costUsd at or after `since` (the daily budget reads this, so it holds across processes). */
  spendSince(since: Date): Promise<number>;

  /** Number of distinct sha256 among the SKU's non-failed jobs. */
  countImagesForSku(sku: string): Promise<number>;

  /**
   * Removes finished jobs completed before `before`: their events go; the job row stays as an identity
   * tombstone (purgedAt set, key arrays emptied) unless `forgetIdentities`. Returns the removed jobs as
   * they were before removal (so the caller can delete their objects).
   */
  deleteFinished(opts: DeleteFinishedOptions): Promise<Job[]>;

  /** The job's events, oldest first. */
  listEvents(jobId: string): Promise<JobEvent[]>;

  /** Cheap readiness probe; throws when the store is unreachable. */
  ping(): Promise<void>;

  close(): Promise<void>;
}
