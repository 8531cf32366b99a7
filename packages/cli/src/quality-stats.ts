/**
 * Cutout quality across the jobs of a data directory, for `jobkit stats`: how many were scored, their
 * mean and lowest score, how many fall below the review threshold, and a five-bucket histogram. The core's
 * stats have no quality aggregate, so the jobs are read page by page (cleaned-up jobs excluded, as in stats).
 */
import type { JobService } from 'jobkit';

export interface QualityBucket {
  /** Inclusive lower bound. */
  from: number;
  /** Exclusive upper bound (the last bucket includes 1). */
  to: number;
  count: number;
}

export interface QualityStats {
  /** Jobs whose cutout has a score. */
  scored: number;
  /** Jobs without one (not segmented yet, or nothing scored the cut). */
  unscored: number;
  mean: number | null;
  min: number | null;
  threshold: number;
  /** Scored jobs below `threshold`: doubtful cuts (held under the default review policy). */
  belowThreshold: number;
  buckets: QualityBucket[];
}

const EDGES = [0, 0.2, 0.4, 0.6, 0.8, 1];
const PAGE = 1000;

export async function qualityStats(service: JobService, threshold: number): Promise<QualityStats> {
  const buckets: QualityBucket[] = EDGES.slice(0, -1).map((from, i) => ({ from, to: EDGES[i + 1]!, count: 0 }));
  let scored = 0;
  let unscored = 0;
  let sum = 0;
  let min: number | null = null;
  let belowThreshold = 0;
  for (let offset = 0; ; offset += PAGE) {
    const page = await service.listJobs({ limit: PAGE, offset });
    for (const job of page.jobs) {
      const score = job.quality?.score;
      if (score === undefined) {
        unscored++;
        continue;
      }
      scored++;
      sum += score;
      min = min === null ? score : Math.min(min, score);
      if (score < threshold) belowThreshold++;
      buckets[Math.min(buckets.length - 1, Math.floor(score / 0.2 + 1e-9))]!.count++;
    }
    if (page.jobs.length < PAGE) break;
  }
  return { scored, unscored, mean: scored === 0 ? null : Math.round((sum / scored) * 1000) / 1000, min, threshold, belowThreshold, buckets };
}
