import type { Job, JobStats } from '../domain/job.js';
import { JOB_STATUSES, type JobStatus } from '../domain/status.js';

function emptyByStatus(): Record<JobStatus, number> {
  return Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
}

/** The aggregates a store computes (in SQL or in memory); `statsFrom` turns them into JobStats. */
export interface StatsAggregates {
  /** Live (non-purged) jobs per status; missing statuses count 0. */
  byStatus: Partial<Record<JobStatus, number>>;
  costUsdTotal: number;
  costUsdToday: number;
  /** Mean createdAt → completedAt of DONE jobs, ms; null when none. */
  avgDurationMs: number | null;
  oldestQueuedAt: string | null;
}

/**
 * The one place where totals, failure rate and USD rounding are derived, so every store (memory,
 * SQLite, PostgreSQL, yours) reports identical stats for identical data.
 */
export function statsFrom(a: StatsAggregates): JobStats {
  const byStatus = emptyByStatus();
  let total = 0;
  for (const s of JOB_STATUSES) {
    byStatus[s] = a.byStatus[s] ?? 0;
    total += byStatus[s];
  }
  const finished = byStatus.DONE + byStatus.FAILED;
  return {
    total,
    byStatus,
    costUsdTotal: roundUsd(a.costUsdTotal),
    costUsdToday: roundUsd(a.costUsdToday),
    avgDurationMs: a.avgDurationMs === null ? null : Math.round(a.avgDurationMs),
    failureRate: finished === 0 ? 0 : byStatus.FAILED / finished,
    oldestQueuedAt: a.oldestQueuedAt,
  };
}

/** Stats from a list of live jobs (the memory store; SQL stores aggregate in the database). */
export function computeStats(jobs: Iterable<Job>, costUsdToday: number): JobStats {
  const byStatus = emptyByStatus();
  let cost = 0;
  let durSum = 0;
  let durN = 0;
  let oldestQueued: string | null = null;
  for (const j of jobs) {
    byStatus[j.status]++;
    cost += j.costUsd;
    if (j.status === 'DONE' && j.completedAt) {
      durSum += Date.parse(j.completedAt) - Date.parse(j.createdAt);
      durN++;
    }
    if (j.status === 'QUEUED' && (oldestQueued === null || j.createdAt < oldestQueued)) oldestQueued = j.createdAt;
  }
  return statsFrom({ byStatus, costUsdTotal: cost, costUsdToday, avgDurationMs: durN === 0 ? null : durSum / durN, oldestQueuedAt: oldestQueued });
}

/** USD amounts are kept to 1e-6 to avoid float drift in sums. */
export function roundUsd(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
