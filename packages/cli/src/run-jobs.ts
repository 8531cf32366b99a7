/**
 * Runs jobs an operator action just moved (`retry`, `review approve`, `review reject --retry-with hosted`)
 * to rest on the embedded pipeline, then prints the run summary (or its JSON) and returns the exit code.
 */
import type { Job } from 'jobkit';
import type { CommandContext } from './command.js';
import type { ExitCode } from './io.js';
import { startJobRun } from './job-run.js';
import { writeJson } from './output.js';
import type { PipelineSettings } from './pipeline-options.js';
import { createProgress } from './progress.js';
import { openPipeline, type Runtime } from './runtime.js';
import { printRunSummary, runExitCode, runToJson } from './run-summary.js';

/** A job id the action could not apply to (not found, wrong status …): reported, exit code 1. */
export interface ActionError {
  id: string;
  code: string;
  message: string;
}

export interface RunJobsOptions {
  jobs: Job[];
  /** The `source` of every job in the report (e.g. "retry", "approved"). */
  source: string;
  errors: ActionError[];
  settings: PipelineSettings;
  outDir: string;
  concurrency: number;
  quiet: boolean;
  /** Extra fields of the JSON document. */
  extra: Record<string, unknown>;
}

export async function runJobs(ctx: CommandContext, runtime: Runtime, opts: RunJobsOptions): Promise<ExitCode> {
  const { io } = ctx;
  const { worker, segmenter } = openPipeline(runtime, { storefrontDir: opts.outDir, settings: opts.settings, concurrency: opts.concurrency });
  const run = startJobRun({
    worker,
    store: runtime.store,
    progress: createProgress({ stream: io.stderr, enabled: !opts.quiet }),
    stderr: io.stderr,
    signal: io.signal,
  });
  for (const job of opts.jobs) run.track(job, opts.source);
  for (const e of opts.errors) run.reject({ source: e.id, severity: 'error', reason: `${e.code}: ${e.message}` });
  const result = await run.finish();
  const exitCode = runExitCode(result);
  if (ctx.json) {
    const review = { policy: runtime.service.review.policy, minScore: runtime.service.review.minScore };
    writeJson(
      io.stdout,
      runToJson(result, { ...opts.extra, dataDir: ctx.dataDir, outDir: opts.outDir, review, segmenter: segmenter.name, ran: true }, exitCode),
    );
  } else {
    printRunSummary(io.stdout, result, opts.outDir);
  }
  return exitCode;
}
