/**
 * The job state machine: a pure module. It never touches storage; JobService applies its answers.
 *
 *   NEW → QUEUED → SEGMENTING → BG_GENERATING → COMPOSITING ─────────────→ SHOPIFY_PUSH → DONE
 *                                                          └→ REVIEW ─approve─┘
 *                       SEGMENTING ←─reject, re-segment with the hosted segmenter─┘
 *   any non-terminal → FAILED (a rejected review fails with REJECTED).
 *   DONE and FAILED are terminal; retryJob is the only exit from FAILED.
 */
import { JobkitError } from '../errors.js';
import type { Job, JobUpdates } from './job.js';
import { isJobStatus, isTerminal, type JobStatus } from './status.js';

/** Forward moves per status, the happy path first. FAILED is reachable from every non-terminal status. */
const FORWARD: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  NEW: ['QUEUED'],
  QUEUED: ['SEGMENTING'],
  SEGMENTING: ['BG_GENERATING'],
  BG_GENERATING: ['COMPOSITING'],
  // A confident cut goes straight on; a doubtful one (or every one, by policy) waits for a person.
  COMPOSITING: ['SHOPIFY_PUSH', 'REVIEW'],
  // Approve → the storefront; reject with a hosted retry → segment again.
  REVIEW: ['SHOPIFY_PUSH', 'SEGMENTING'],
  SHOPIFY_PUSH: ['DONE'],
  DONE: [],
  FAILED: [],
};

/** The status that follows `status` on the happy path (null for terminal statuses). */
export function nextStatus(status: JobStatus): JobStatus | null {
  return FORWARD[status]?.[0] ?? null;
}

export function isValidTransition(from: JobStatus, to: JobStatus): boolean {
  if (!isJobStatus(from) || !isJobStatus(to)) return false;
  if (isTerminal(from)) return false;
  return to === 'FAILED' || FORWARD[from].includes(to);
}

/** The statuses reachable in one transition from `from`. */
export function allowedTransitions(from: JobStatus): JobStatus[] {
  if (isTerminal(from)) return [];
  return [...FORWARD[from], 'FAILED'];
}

/** Missing required fields for `job` to be in `status`; empty when valid. */
export function missingFieldsFor(
  job: Pick<Job, 'originalKey' | 'maskKey' | 'backgroundKeys' | 'compositeKeys' | 'storefrontMediaIds' | 'driver'>,
  status: JobStatus,
): string[] {
  const missing: string[] = [];
  switch (status) {
    case 'QUEUED':
      if (job.driver === null) missing.push('driver');
      break;
    case 'SEGMENTING':
      if (!job.originalKey) missing.push('originalKey');
      break;
    case 'BG_GENERATING':
      if (!job.maskKey) missing.push('maskKey');
      break;
    case 'COMPOSITING':
      if (job.backgroundKeys.length === 0) missing.push('backgroundKeys');
      break;
    case 'REVIEW':
    case 'SHOPIFY_PUSH':
      if (job.compositeKeys.length === 0) missing.push('compositeKeys');
      break;
    case 'DONE':
      // One storefront media item per composite master.
      if (job.compositeKeys.length === 0) missing.push('compositeKeys');
      if (job.storefrontMediaIds.length === 0 || job.storefrontMediaIds.length !== job.compositeKeys.length) {
        missing.push('storefrontMediaIds');
      }
      break;
    default:
      break;
  }
  return missing;
}

/** Throws INVALID_INPUT naming the missing fields when `job` lacks what `status` requires. */
export function validateJobForStatus(job: Job, status: JobStatus): void {
  const missing = missingFieldsFor(job, status);
  if (missing.length > 0) {
    throw new JobkitError('INVALID_INPUT', `${status} requires ${missing.join(', ')}`, {
      details: { field: missing[0], missing, status },
    });
  }
}

/**
 * Pure transition: returns the new job (the input is not modified) or throws INVALID_TRANSITION or
 * INVALID_INPUT. Entering a new step resets `attempts`, `nextRunAt` and `providerRef`.
 */
export function transitionJob(job: Job, to: JobStatus, updates: JobUpdates = {}, now: Date = new Date()): Job {
  if (!isValidTransition(job.status, to)) {
    throw new JobkitError('INVALID_TRANSITION', `cannot move job ${job.id} from ${job.status} to ${to}`, {
      details: { from: job.status, to, allowed: allowedTransitions(job.status) },
    });
  }
  const at = now.toISOString();
  const next: Job = { ...job, attempts: 0, nextRunAt: null, providerRef: null, ...updates, status: to, updatedAt: at };
  if (to === 'FAILED') {
    next.failedStatus = job.status;
    next.completedAt = at;
    next.leaseOwner = null;
    next.leaseExpiresAt = null;
    next.attempts = job.attempts;
  } else if (to === 'DONE') {
    next.completedAt = at;
    next.leaseOwner = null;
    next.leaseExpiresAt = null;
  } else if (to === 'REVIEW') {
    // A person decides now: no worker holds the job while it waits.
    next.leaseOwner = null;
    next.leaseExpiresAt = null;
  }
  if (to === 'QUEUED' && next.startedAt === null) next.startedAt = at;
  validateJobForStatus(next, to);
  return next;
}
