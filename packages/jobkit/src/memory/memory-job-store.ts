/**
 * A real JobStore in memory (not a mock): the same contract as the SQL stores, for tests, demos and
 * users' unit tests. Every operation is synchronous inside one call, which makes it atomic in Node's
 * single thread.
 */
import { JobkitError } from '../errors.js';
import type { Job, JobEvent, JobStats, NewJobEvent } from '../domain/job.js';
import { isStepStatus } from '../domain/status.js';
import type { ClaimOptions, DeleteFinishedOptions, InsertJobOptions, InsertJobResult, JobStore, LeaseRef, ListJobsQuery } from '../ports/job-store.js';
import { cloneJob, utcMidnight } from '../util/clone.js';
import { computeStats, roundUsd } from '../util/stats.js';

const identityOf = (j: Pick<Job, 'sku' | 'sha256' | 'theme'>): string => `${j.sku}\u0000${j.sha256}\u0000${j.theme}`;

export function createMemoryJobStore(): JobStore {
  const jobs = new Map<string, Job>();
  const byIdentity = new Map<string, string>();
  const events: JobEvent[] = [];
  let nextEventId = 1;
  let closed = false;

  const open = (): void => {
    if (closed) throw new JobkitError('STORAGE_FAILED', 'memory job store is closed');
  };
  const appendEvent = (e: NewJobEvent): void => {
    events.push({ ...e, id: nextEventId++ });
  };
  const countImages = (sku: string): number => {
    const shas = new Set<string>();
    for (const j of jobs.values()) if (j.sku === sku && j.status !== 'FAILED') shas.add(j.sha256);
    return shas.size;
  };
  const newer = (a: Job, b: Job): number => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1);

  return {
    async insertOrGet(job: Job, event: NewJobEvent, opts: InsertJobOptions = {}): Promise<InsertJobResult> {
      open();
      const existingId = byIdentity.get(identityOf(job));
      if (existingId !== undefined) return { job: cloneJob(jobs.get(existingId)!), created: false };
      if (opts.maxImagesPerSku !== undefined) {
        const photoKnown = [...jobs.values()].some((j) => j.sku === job.sku && j.sha256 === job.sha256 && j.status !== 'FAILED');
        if (!photoKnown && countImages(job.sku) >= opts.maxImagesPerSku) {
          throw new JobkitError('IMAGE_LIMIT_REACHED', `SKU ${job.sku} already has ${opts.maxImagesPerSku} images`, {
            details: { sku: job.sku, limit: opts.maxImagesPerSku },
          });
        }
      }
      if (jobs.has(job.id)) throw new JobkitError('CONFLICT', `job id ${job.id} exists`);
      jobs.set(job.id, cloneJob(job));
      byIdentity.set(identityOf(job), job.id);
      appendEvent(event);
      return { job: cloneJob(job), created: true };
    },

    async get(id: string): Promise<Job | null> {
      open();
      const j = jobs.get(id);
      return j ? cloneJob(j) : null;
    },

    async list(q: ListJobsQuery): Promise<{ jobs: Job[]; total: number }> {
      open();
      const matching = [...jobs.values()]
        .filter(
          (j) =>
            (q.includePurged || j.purgedAt === null) &&
            (!q.status || j.status === q.status) &&
            (!q.sku || j.sku === q.sku) &&
            (!q.theme || j.theme === q.theme),
        )
        .sort(newer);
      return { jobs: matching.slice(q.offset, q.offset + q.limit).map(cloneJob), total: matching.length };
    },

    async update(job: Job, event: NewJobEvent): Promise<Job> {
      open();
      const current = jobs.get(job.id);
      if (!current) throw new JobkitError('NOT_FOUND', `job ${job.id} not found`);
      if (current.version !== job.version) {
        throw new JobkitError('CONFLICT', `job ${job.id} was changed by someone else (version ${current.version}, expected ${job.version})`, {
          details: { id: job.id, expected: job.version, actual: current.version },
        });
      }
      const stored: Job = {
        ...cloneJob(job),
        id: current.id,
        sku: current.sku,
        sha256: current.sha256,
        theme: current.theme,
        imageUrl: current.imageUrl,
        createdAt: current.createdAt,
        version: current.version + 1,
      };
      jobs.set(job.id, stored);
      appendEvent(event);
      return cloneJob(stored);
    },

    async claimDue(opts: ClaimOptions): Promise<Job[]> {
      open();
      const now = opts.now.toISOString();
      const due = [...jobs.values()]
        .filter(
          (j) =>
            j.driver === 'worker' &&
            isStepStatus(j.status) &&
            j.purgedAt === null &&
            (j.nextRunAt === null || j.nextRunAt <= now) &&
            (j.leaseExpiresAt === null || j.leaseExpiresAt <= now),
        )
        .sort((a, b) => ((a.nextRunAt ?? a.createdAt) < (b.nextRunAt ?? b.createdAt) ? -1 : 1))
        .slice(0, Math.max(0, opts.limit));
      const expires = new Date(opts.now.getTime() + opts.leaseMs).toISOString();
      return due.map((j) => {
        const claimed: Job = { ...j, leaseOwner: opts.owner, leaseExpiresAt: expires, version: j.version + 1 };
        jobs.set(j.id, claimed);
        return cloneJob(claimed);
      });
    },

    async renewLease(ref: LeaseRef, now: Date, leaseMs: number): Promise<Job> {
      open();
      const j = jobs.get(ref.id);
      if (!j || j.leaseOwner !== ref.owner || j.version !== ref.version) {
        throw new JobkitError('CONFLICT', `lease on job ${ref.id} is no longer held by ${ref.owner}`);
      }
      const renewed: Job = { ...j, leaseExpiresAt: new Date(now.getTime() + leaseMs).toISOString(), version: j.version + 1 };
      jobs.set(j.id, renewed);
      return cloneJob(renewed);
    },

    async releaseLease(ref: LeaseRef): Promise<boolean> {
      open();
      const j = jobs.get(ref.id);
      if (!j || j.leaseOwner !== ref.owner || j.version !== ref.version) return false;
      jobs.set(j.id, { ...j, leaseOwner: null, leaseExpiresAt: null, version: j.version + 1 });
      return true;
    },

    async stats(now: Date): Promise<JobStats> {
      open();
      const since = utcMidnight(now).toISOString();
      const today = events.reduce((sum, e) => (e.at >= since ? sum + e.costUsd : sum), 0);
      return computeStats(
        [...jobs.values()].filter((j) => j.purgedAt === null),
        today,
      );
    },

    async spendSince(since: Date): Promise<number> {
      open();
      const s = since.toISOString();
      return roundUsd(events.reduce((sum, e) => (e.at >= s ? sum + e.costUsd : sum), 0));
    },

    async countImagesForSku(sku: string): Promise<number> {
      open();
      return countImages(sku);
    },

    async deleteFinished(opts: DeleteFinishedOptions): Promise<Job[]> {
      open();
      const before = opts.before.toISOString();
      const removed: Job[] = [];
      for (const j of jobs.values()) {
        if ((j.status !== 'DONE' && j.status !== 'FAILED') || j.completedAt === null || j.completedAt >= before) continue;
        if (j.purgedAt !== null && !opts.forgetIdentities) continue;
        removed.push(cloneJob(j));
      }
      const ids = new Set(removed.map((j) => j.id));
      for (let i = events.length - 1; i >= 0; i--) if (ids.has(events[i]!.jobId)) events.splice(i, 1);
      for (const j of removed) {
        if (opts.forgetIdentities) {
          jobs.delete(j.id);
          byIdentity.delete(identityOf(j));
        } else {
          jobs.set(j.id, {
            ...j,
            purgedAt: opts.now.toISOString(),
            originalKey: null,
            maskKey: null,
            backgroundKeys: [],
            compositeKeys: [],
            thumbnailKeys: [],
            derivativeKeys: [],
            errorStack: null,
            version: j.version + 1,
          });
        }
      }
      return removed;
    },

    async listEvents(jobId: string): Promise<JobEvent[]> {
      open();
      return events.filter((e) => e.jobId === jobId).map((e) => ({ ...e }));
    },

    async ping(): Promise<void> {
      open();
    },

    async close(): Promise<void> {
      closed = true;
    },
  };
}
