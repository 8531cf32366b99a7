/** `jobkit retry <id…> | --all-failed`: send FAILED jobs back to the step they failed in, and run them. */
import { JobkitError, type Job } from 'jobkit';
import { COMMON_HELP, booleanFlag } from '../args.js';
import type { Command, CommandContext } from '../command.js';
import { HOSTED_HELP, hostedSegmenterFromEnv } from '../hosted-segmenter.js';
import { EXIT, UsageError, type ExitCode } from '../io.js';
import { writeJson, writeLine } from '../output.js';
import { PIPELINE_HELP, loadPipelineSettings, pipelineFromFlags, storefrontDir } from '../pipeline-options.js';
import { REVIEW_HELP } from '../review-options.js';
import { RUN_HELP, RUN_OPTIONS, runFlags } from '../run-options.js';
import { runJobs, type ActionError } from '../run-jobs.js';
import { openRuntime, type Runtime } from '../runtime.js';

const HELP = `Usage: jobkit retry <job-id>... [options]
       jobkit retry --all-failed [options]

Moves FAILED jobs back to the status they failed in (attempts reset) and runs them to the end with the
embedded pipeline, using the output settings remembered from \`process\` unless given here. A cut rejected
in review goes back to REVIEW.

Options:
  --all-failed     every FAILED job (cleaned-up ones and cuts rejected in review excluded)
  --queue-only     only re-queue; a later \`process\` or \`retry\` run finishes them

${RUN_HELP}

${REVIEW_HELP}

${PIPELINE_HELP}

${HOSTED_HELP}

${COMMON_HELP}

Exit codes: 0 all retried jobs done, 1 a job failed again or could not be retried, 2 usage error,
3 nothing failed but jobs are held for review (\`jobkit review\`), 130 interrupted.

Examples:
  jobkit retry --all-failed
  jobkit retry V1StGXR8_Z5jdHi6B-myT --json`;

export const retryCommand: Command = {
  name: 'retry',
  summary: 'retry failed jobs (by id or --all-failed) and run them',
  help: HELP,
  allowPositionals: true,
  options: { 'all-failed': { type: 'boolean' }, 'queue-only': { type: 'boolean' }, ...RUN_OPTIONS },
  async run(ctx: CommandContext): Promise<ExitCode> {
    const { io, values } = ctx;
    const all = booleanFlag(values, 'all-failed');
    if (all === ctx.positionals.length > 0) throw new UsageError(all ? 'give job ids or --all-failed, not both' : 'give one or more job ids, or --all-failed');
    const queueOnly = booleanFlag(values, 'queue-only');
    const { concurrency, quiet, allowPrivate, review } = runFlags(values, io.env);
    const hosted = hostedSegmenterFromEnv(io);
    const settings = pipelineFromFlags(values, await loadPipelineSettings(ctx.dataDir), io.cwd);
    const outDir = storefrontDir(settings, ctx.dataDir);
    const runtime = await openRuntime({
      dataDir: ctx.dataDir,
      create: false,
      review,
      hosted,
      ...(allowPrivate ? { addressPolicy: { allowPrivate: true } } : {}),
    });
    try {
      const ids = all ? await allFailedIds(runtime) : [...new Set(ctx.positionals)];
      const errors: ActionError[] = [];
      const retried: Job[] = [];
      for (const id of ids) {
        try {
          retried.push(await runtime.service.retryJob(id));
        } catch (e) {
          const err = JobkitError.from(e);
          if (err.code === 'STORAGE_FAILED') throw err;
          errors.push({ id, code: err.code, message: err.message });
          writeLine(io.stderr, `error: ${id}: ${err.code}: ${err.message}`);
        }
      }
      if (queueOnly || retried.length === 0) {
        const exitCode = errors.length > 0 ? EXIT.FAILURE : EXIT.OK;
        if (ctx.json)
          writeJson(io.stdout, { retried: retried.map((j) => ({ id: j.id, sku: j.sku, theme: j.theme, status: j.status })), errors, ran: false, exitCode });
        else
          writeLine(
            io.stdout,
            retried.length === 0 && errors.length === 0
              ? 'No failed jobs.'
              : `Re-queued ${retried.length} job${retried.length === 1 ? '' : 's'}${errors.length ? `; ${errors.length} could not be retried` : ''}.`,
          );
        return exitCode;
      }
      return await runJobs(ctx, runtime, { jobs: retried, source: 'retry', errors, settings, outDir, concurrency, quiet, extra: {} });
    } finally {
      await runtime.close();
    }
  },
};

/** Every FAILED job except cuts rejected in review: a person decided those, a blanket retry should not undo it. */
async function allFailedIds(runtime: Runtime): Promise<string[]> {
  const ids: string[] = [];
  // Collect first, then retry: retrying moves jobs out of FAILED and would shift the pages.
  for (let offset = 0; ; offset += 1000) {
    const page = await runtime.service.listJobs({ status: 'FAILED', limit: 1000, offset });
    ids.push(...page.jobs.filter((j) => j.errorCode !== 'REJECTED').map((j) => j.id));
    if (page.jobs.length < 1000) break;
  }
  return ids;
}
