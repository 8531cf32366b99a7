/**
 * The review policy of a run: which composited jobs wait in REVIEW for a person before the storefront.
 * `--review` beats env JOBKIT_REVIEW beats 'doubtful'; `--review-min-score` beats JOBKIT_REVIEW_MIN_SCORE
 * beats the core's DEFAULT_REVIEW_MIN_SCORE. Not remembered in pipeline.json: holding doubtful cuts is the
 * safe default, and a run that publishes without review should say so each time (or set the variable).
 */
import { DEFAULT_REVIEW_MIN_SCORE, REVIEW_POLICIES, type ReviewPolicy } from 'jobkit';
import { numberFlag, stringFlag, type OptionSpec, type ParsedValues } from './args.js';
import { UsageError } from './io.js';

export interface ReviewOptions {
  policy: ReviewPolicy;
  /** Quality score below which a cut is doubtful: held (policy doubtful) and re-cut by the hosted segmenter. */
  minScore: number;
}

export const REVIEW_OPTIONS = {
  review: { type: 'string' },
  'review-min-score': { type: 'string' },
} as const satisfies OptionSpec;

export const REVIEW_HELP = `Review options (not remembered):
  --review <policy>        which jobs wait in REVIEW before the storefront (env JOBKIT_REVIEW):
                           doubtful (default): cuts scoring below the threshold, and unscored cuts;
                           always: every job; never: none
  --review-min-score <s>   the threshold, 0..1 (env JOBKIT_REVIEW_MIN_SCORE, default ${DEFAULT_REVIEW_MIN_SCORE});
                           with Replicate configured, local cuts below it are re-cut by Replicate first`;

export function reviewFromFlags(values: ParsedValues, env: Readonly<Record<string, string | undefined>>): ReviewOptions {
  return { policy: reviewPolicy(values, env), minScore: reviewMinScore(values, env) };
}

function reviewPolicy(values: ParsedValues, env: Readonly<Record<string, string | undefined>>): ReviewPolicy {
  const flag = stringFlag(values, 'review');
  const raw = flag ?? nonEmpty(env.JOBKIT_REVIEW);
  if (raw === undefined) return 'doubtful';
  const policy = raw.trim().toLowerCase();
  if ((REVIEW_POLICIES as readonly string[]).includes(policy)) return policy as ReviewPolicy;
  const source = flag === undefined ? 'JOBKIT_REVIEW' : '--review';
  throw new UsageError(`${source} must be one of ${REVIEW_POLICIES.join(', ')}, got ${JSON.stringify(raw)}`);
}

function reviewMinScore(values: ParsedValues, env: Readonly<Record<string, string | undefined>>): number {
  const flag = numberFlag(values, 'review-min-score', 0, 1);
  if (flag !== undefined) return flag;
  const raw = nonEmpty(env.JOBKIT_REVIEW_MIN_SCORE);
  if (raw === undefined) return DEFAULT_REVIEW_MIN_SCORE;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`JOBKIT_REVIEW_MIN_SCORE must be a number between 0 and 1, got ${JSON.stringify(raw)}`);
  return n;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
