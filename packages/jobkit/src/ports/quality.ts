/**
 * Quality gate port: every cutout gets a score in 0..1 and the reasons behind it, whichever segmenter
 * made it. The score decides whether a job waits in REVIEW before the storefront (JobService's review
 * policy) and whether a segmenter chain falls back to its hosted segmenter.
 */
import type { Logger } from './logger.js';

/** How good a cutout looks, and why. Stored on the job once segmentation ran. */
export interface CutoutQuality {
  /** 0 (certainly wrong) .. 1 (certainly right). */
  score: number;
  /**
   * What lowered the score (or, for a clean cut, nothing), each `"<kebab-code>: <human text>"`, e.g.
   * `"low-coverage: the product covers 0.4 % of the frame"`. Empty when nothing is doubtful.
   */
  reasons: string[];
}

export interface QualityInput {
  /** The original photo's bytes (any format the pipeline decodes). */
  original: Buffer;
  /** The RGBA PNG cutout (its alpha is the mask). */
  cutout: Buffer;
}

export interface QualityGate {
  readonly name: string;
  assess(input: QualityInput, ctx: { signal: AbortSignal; logger: Logger }): Promise<CutoutQuality>;
}

/** Below this score a cut is doubtful: held in REVIEW under the default policy, re-done by a chain's hosted segmenter. */
export const DEFAULT_REVIEW_MIN_SCORE = 0.6;
