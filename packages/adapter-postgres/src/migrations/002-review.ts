import type { Migration } from './types.js';

/**
 * Round two: the cutout's quality and the operator's "re-segment with the hosted segmenter" request. The
 * REVIEW status needs no schema change here (status is free text; the claim index lists the claimable
 * statuses, and REVIEW is not one of them).
 */
export const review: Migration = {
  version: 2,
  name: 'review-and-quality',
  up: (s) => [`ALTER TABLE ${s}.jobs ADD COLUMN quality jsonb`, `ALTER TABLE ${s}.jobs ADD COLUMN segment_with text CHECK (segment_with IN ('hosted'))`],
};
