/** Flags of the commands that run jobs (`process`, `retry`): worker concurrency, URL policy, progress. */
import { booleanFlag, intFlag, type OptionSpec, type ParsedValues } from './args.js';
import { PIPELINE_OPTIONS } from './pipeline-options.js';

export const RUN_OPTIONS = {
  concurrency: { type: 'string' },
  'allow-private-urls': { type: 'boolean' },
  quiet: { type: 'boolean' },
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
}

export function runFlags(values: ParsedValues): RunFlags {
  return {
    concurrency: intFlag(values, 'concurrency', 4, 1, 64),
    allowPrivate: booleanFlag(values, 'allow-private-urls'),
    quiet: booleanFlag(values, 'quiet'),
  };
}
