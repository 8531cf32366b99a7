import type { Job } from '../domain/job.js';

/** Deep copy of a job (arrays included), so stores never share mutable state with callers. */
export function cloneJob(job: Job): Job {
  return {
    ...job,
    backgroundKeys: [...job.backgroundKeys],
    compositeKeys: [...job.compositeKeys],
    thumbnailKeys: [...job.thumbnailKeys],
    derivativeKeys: [...job.derivativeKeys],
    storefrontMediaIds: [...job.storefrontMediaIds],
    quality: job.quality ? { score: job.quality.score, reasons: [...job.quality.reasons] } : (job.quality ?? null),
    segmentWith: job.segmentWith ?? null,
  };
}

/** Start of the UTC day containing `now`. */
export function utcMidnight(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}
