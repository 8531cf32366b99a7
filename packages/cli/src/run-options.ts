/** Flags of the commands that run jobs (`process`, `retry`, `review approve|reject`): worker concurrency, URL policy, progress, review policy. */
import { booleanFlag, intFlag, type OptionSpec, type ParsedValues } from './args.js';
import type { CliIo } from './io.js';
import { PIPELINE_OPTIONS } from './pipeline-options.js';
import { REVIEW_OPTIONS, reviewFromFlags, type ReviewOptions } from './review-options.js';

export const RUN_OPTIONS = {
  concurrency: { type: 'string' },
  'allow-private-urls': { type: 'boolean' },
  quiet: { type: 'boolean' },
  ...REVIEW_OPTIONS,
  ...PIPELINE_OPTIONS,
} as const satisfies OptionSpec;

export const RUN_HELP = `Run options:
  --concurrency <n>      jobs processed at once, 1..64 (default 4)
  --allow-private-urls   let URLs point at private/loopback addresses (local testing only: it turns
                         off the SSRF guard; never remembered)
  --quiet                no progress output`;

export interface RunFlags {
  concurrency: number;
  allowPrivate: boolean;
  quiet: boolean;
  review: ReviewOptions;
}

export function runFlags(values: ParsedValues, env: CliIo['env']): RunFlags {
  return {
    concurrency: intFlag(values, 'concurrency', 4, 1, 64),
    allowPrivate: booleanFlag(values, 'allow-private-urls'),
    quiet: booleanFlag(values, 'quiet'),
    review: reviewFromFlags(values, env),
  };
}
