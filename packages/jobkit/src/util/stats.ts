import type { Job, JobStats } from '../domain/job.js';
import { JOB_STATUSES, type JobStatus } from '../domain/status.js';

export function emptyByStatus(): Record<JobStatus, number> {
  return Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
}

/** Stats from a list of live jobs (used by the memory store; SQL stores aggregate in the database). */
export function computeStats(jobs: Iterable<Job>, costUsdToday: number): JobStats {
  const byStatus = emptyByStatus();
  let total = 0;
  let cost = 0;
  let durSum = 0;
  let durN = 0;
  let oldestQueued: string | null = null;
  for (const j of jobs) {
    total++;
    byStatus[j.status]++;
    cost += j.costUsd;
    if (j.status === 'DONE' && j.completedAt) {
      durSum += Date.parse(j.completedAt) - Date.parse(j.createdAt);
      durN++;
    }
    if (j.status === 'QUEUED' && (oldestQueued === null || j.createdAt < oldestQueued)) oldestQueued = j.createdAt;
  }
  const finished = byStatus.DONE + byStatus.FAILED;
  return {
    total,
    byStatus,
    costUsdTotal: roundUsd(cost),
    costUsdToday: roundUsd(costUsdToday),
    avgDurationMs: durN === 0 ? null : Math.round(durSum / durN),
    failureRate: finished === 0 ? 0 : byStatus.FAILED / finished,
    oldestQueuedAt: oldestQueued,
  };
}

/** USD amounts are kept to 1e-6 to avoid float drift in sums. */
export function roundUsd(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
