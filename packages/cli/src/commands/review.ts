/**
 * `jobkit review`: the jobs held in REVIEW before the storefront — list them, approve them (and run them
 * on to the storefront), or reject them (FAILED with REJECTED, or re-cut by the hosted segmenter).
 */
import { JobkitError, type Job } from 'jobkit';
import { COMMON_HELP, booleanFlag, intFlag, stringFlag, type ParsedValues } from '../args.js';
import type { Command, CommandContext } from '../command.js';
import { holdOf } from '../hold-reason.js';
import { HOSTED_HELP, hostedSegmenterFromEnv } from '../hosted-segmenter.js';
import { EXIT, UsageError, type ExitCode } from '../io.js';
import { formatTable, writeJson, writeLine } from '../output.js';
import { PIPELINE_HELP, loadPipelineSettings, pipelineFromFlags, storefrontDir } from '../pipeline-options.js';
import { REVIEW_HELP } from '../review-options.js';
import { RUN_HELP, RUN_OPTIONS, runFlags } from '../run-options.js';
import { runJobs, type ActionError } from '../run-jobs.js';
import { formatScore } from '../run-summary.js';
import { openRuntime, type Runtime } from '../runtime.js';

const HELP = `Usage: jobkit review [options]
       jobkit review approve <job-id>... [options]
       jobkit review reject <job-id>... --reason <text> [--retry-with hosted] [options]

A job whose cutout looks doubtful (or every job, with --review always) waits in REVIEW after compositing:
nothing reaches the storefront until a person approves it.

  (no action), list   lists the jobs waiting in REVIEW, newest first: score, reasons, and (--json) the
                      cut-out and composite files under {data-dir}/objects to look at
  approve             moves the jobs on and runs them to the storefront with the embedded pipeline
  reject              fails the jobs with REJECTED (not retried); with --retry-with hosted, the hosted
                      segmenter cuts the photo again instead and the job composites anew (it may be
                      held again)

List options:
  --sku <sku>          only this SKU
  --theme <theme>      only this theme
  --limit <n>          page size, 1..1000 (default 50)
  --offset <n>         skip the first n jobs (default 0)

Approve / reject options:
  --reason <text>      reject: why the cut is wrong (required; recorded as the job's error message)
  --retry-with hosted  reject: re-cut with the hosted segmenter (needs REPLICATE_API_TOKEN)
  --queue-only         only approve (or send back); the next \`process\` run on the same photos
                       finishes them

${RUN_HELP}

${REVIEW_HELP}

${PIPELINE_HELP}

${HOSTED_HELP}

${COMMON_HELP}

Exit codes: 0 done; 1 a job could not be approved or rejected (e.g. INVALID_TRANSITION: it is not in
REVIEW; NOT_FOUND) or failed on its way to the storefront; 2 usage error; 3 a job re-cut by the hosted
segmenter is held for review again; 130 interrupted.

Examples:
  jobkit review
  jobkit review approve V1StGXR8_Z5jdHi6B-myT 8xLpQ2m0k1Zr4bW9cT3aE
  jobkit review reject V1StGXR8_Z5jdHi6B-myT --reason "cap cut off" --retry-with hosted`;

const LIST_OPTIONS = { sku: { type: 'string' }, theme: { type: 'string' }, limit: { type: 'string' }, offset: { type: 'string' } } as const;
const ACTION_OPTIONS = { reason: { type: 'string' }, 'retry-with': { type: 'string' }, 'queue-only': { type: 'boolean' } } as const;

export const reviewCommand: Command = {
  name: 'review',
  summary: 'list jobs held for review; approve or reject them',
  help: HELP,
  allowPositionals: true,
  options: { ...LIST_OPTIONS, ...ACTION_OPTIONS, ...RUN_OPTIONS },
  async run(ctx: CommandContext): Promise<ExitCode> {
    const [action = 'list', ...ids] = ctx.positionals;
    switch (action) {
      case 'list':
        if (ids.length > 0) throw new UsageError(`review list takes no job ids (got ${ids.join(' ')}); did you mean \`jobkit review approve\`?`);
        onlyFlags(ctx.values, 'list', Object.keys(LIST_OPTIONS));
        return listHeld(ctx);
      case 'approve':
        onlyFlags(ctx.values, 'approve', ['queue-only', ...Object.keys(RUN_OPTIONS)]);
        return decide(ctx, 'approve', ids);
      case 'reject':
        onlyFlags(ctx.values, 'reject', [...Object.keys(ACTION_OPTIONS), ...Object.keys(RUN_OPTIONS)]);
        return decide(ctx, 'reject', ids);
      default:
        throw new UsageError(
          `unknown review action ${JSON.stringify(action)}; use \`jobkit review\` (list), \`review approve <id>…\` or \`review reject <id>… --reason …\``,
        );
    }
  },
};

/** Flags of another action are a mistake worth saying (e.g. --reason on approve), not something to ignore. */
function onlyFlags(values: ParsedValues, action: string, allowed: string[]): void {
  const common = ['data-dir', 'json', 'help'];
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || common.includes(name) || allowed.includes(name)) continue;
    throw new UsageError(`--${name} does not apply to \`review ${action}\``);
  }
}

export interface HeldJob {
  id: string;
  sku: string;
  theme: string;
  quality: Job['quality'];
  /** Why the job waits: the hold's own words (low score and the gate's reasons, or the policy). */
  heldFor: string | null;
  heldAt: string;
  /** Absolute paths of the files to look at (local object store). */
  cutout: string | null;
  composites: string[];
}

async function listHeld(ctx: CommandContext): Promise<ExitCode> {
  const { io, values } = ctx;
  const limit = intFlag(values, 'limit', 50, 1, 1000);
  const offset = intFlag(values, 'offset', 0, 0, 1_000_000);
  const runtime = await openRuntime({ dataDir: ctx.dataDir, create: false });
  try {
    const page = await runtime.service.listJobs({ status: 'REVIEW', sku: stringFlag(values, 'sku'), theme: stringFlag(values, 'theme'), limit, offset });
    const jobs = await Promise.all(page.jobs.map((job) => describeHeld(runtime, job)));
    if (ctx.json) {
      writeJson(io.stdout, { jobs, total: page.total, limit: page.limit, offset: page.offset });
      return EXIT.OK;
    }
    if (jobs.length === 0) {
      writeLine(io.stdout, page.total === 0 ? 'No jobs wait for review.' : `No jobs at offset ${offset} (${page.total} wait for review).`);
      return EXIT.OK;
    }
    writeLine(
      io.stdout,
      formatTable<HeldJob>(jobs, [
        { header: 'ID', value: (j) => j.id },
        { header: 'SKU', value: (j) => j.sku, maxWidth: 32 },
        { header: 'THEME', value: (j) => j.theme },
        { header: 'SCORE', value: (j) => formatScore(j.quality?.score), align: 'right' },
        { header: 'HELD', value: (j) => j.heldAt.replace('T', ' ').slice(0, 19) },
        // In full: the reasons are what the reviewer needs (the last column, so a long one only wraps).
        { header: 'REASONS', value: (j) => j.heldFor ?? j.quality?.reasons.join('; ') ?? '' },
      ]),
    );
    const more = offset + jobs.length < page.total ? ` (next page: --offset ${offset + jobs.length})` : '';
    writeLine(io.stdout, `\n${offset + 1}–${offset + jobs.length} of ${page.total} waiting for review${more}`);
    writeLine(io.stdout, 'Look at the cut-outs and composites (`jobkit review --json` lists their files), then:');
    writeLine(io.stdout, '  jobkit review approve <id>…');
    writeLine(io.stdout, '  jobkit review reject <id>… --reason "…" [--retry-with hosted]');
    return EXIT.OK;
  } finally {
    await runtime.close();
  }
}

async function describeHeld(runtime: Runtime, job: Job): Promise<HeldJob> {
  const hold = holdOf(await runtime.service.listJobEvents(job.id));
  return {
    id: job.id,
    sku: job.sku,
    theme: job.theme,
    quality: job.quality,
    heldFor: hold.reason,
    heldAt: hold.at ?? job.updatedAt,
    cutout: job.maskKey ? runtime.objects.pathOf(job.maskKey) : null,
    composites: job.compositeKeys.map((k) => runtime.objects.pathOf(k)),
  };
}

async function decide(ctx: CommandContext, action: 'approve' | 'reject', rawIds: string[]): Promise<ExitCode> {
  const { io, values } = ctx;
  if (rawIds.length === 0) throw new UsageError(`give one or more job ids to ${action} (\`jobkit review\` lists them)`);
  const reject = action === 'reject' ? rejectInput(values) : null;
  const queueOnly = booleanFlag(values, 'queue-only');
  if (queueOnly && action === 'reject' && !reject?.retryWith)
    throw new UsageError('--queue-only applies to approve and to reject --retry-with hosted (a plain reject runs nothing)');
  const { concurrency, quiet, allowPrivate, review } = runFlags(values, io.env);
  const hosted = hostedSegmenterFromEnv(io);
  if (reject?.retryWith === 'hosted' && !hosted) throw new UsageError('--retry-with hosted needs a hosted segmenter: set REPLICATE_API_TOKEN');
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
    const reviewed: Job[] = [];
    const errors: ActionError[] = [];
    for (const id of new Set(rawIds)) {
      try {
        reviewed.push(reject ? await runtime.service.rejectJob(id, reject) : await runtime.service.approveJob(id));
      } catch (e) {
        const err = JobkitError.from(e);
        if (err.code === 'STORAGE_FAILED') throw err;
        errors.push({ id, code: err.code, message: err.message });
        writeLine(io.stderr, `error: ${id}: ${err.code}: ${err.message}`);
      }
    }
    // The embedded worker runs only its own jobs; an external orchestrator pushes the ones it drives.
    const toRun = reviewed.filter((j) => j.driver === 'worker' && j.status !== 'FAILED');
    const extra = { action, ...(reject ? { reason: reject.reason, retryWith: reject.retryWith ?? null } : {}), reviewed: reviewed.map(brief) };
    if (queueOnly || toRun.length === 0) {
      const exitCode = errors.length > 0 ? EXIT.FAILURE : EXIT.OK;
      if (ctx.json) writeJson(io.stdout, { ...extra, errors, ran: false, exitCode });
      else writeLine(io.stdout, decidedLine(action, reject?.retryWith, reviewed.length, errors.length, queueOnly));
      return exitCode;
    }
    return await runJobs(ctx, runtime, {
      jobs: toRun,
      source: action === 'approve' ? 'approved' : 're-cut (hosted)',
      errors,
      settings,
      outDir,
      concurrency,
      quiet,
      extra,
    });
  } finally {
    await runtime.close();
  }
}

function rejectInput(values: ParsedValues): { reason: string; retryWith?: 'hosted' } {
  const reason = stringFlag(values, 'reason')?.trim();
  if (!reason) throw new UsageError('--reason is required: say why the cut is wrong (e.g. --reason "cap cut off")');
  if (reason.length > 2000) throw new UsageError(`--reason is too long (${reason.length} characters; at most 2000)`);
  const retryWith = stringFlag(values, 'retry-with');
  if (retryWith !== undefined && retryWith !== 'hosted') throw new UsageError(`--retry-with must be "hosted", got ${JSON.stringify(retryWith)}`);
  return { reason, ...(retryWith ? { retryWith } : {}) };
}

function brief(job: Job): { id: string; sku: string; theme: string; status: Job['status']; errorCode: string | null } {
  return { id: job.id, sku: job.sku, theme: job.theme, status: job.status, errorCode: job.errorCode };
}

function decidedLine(action: 'approve' | 'reject', retryWith: 'hosted' | undefined, count: number, failed: number, queueOnly: boolean): string {
  const jobs = `${count} job${count === 1 ? '' : 's'}`;
  const done =
    action === 'approve'
      ? `Approved ${jobs}${queueOnly && count > 0 ? ' (queued for the storefront: the next `jobkit process` run on these photos pushes them)' : ''}`
      : retryWith
        ? `Sent ${jobs} back to the hosted segmenter${queueOnly && count > 0 ? ' (queued: the next `jobkit process` run on these photos re-cuts them)' : ''}`
        : `Rejected ${jobs} (FAILED with REJECTED; they stay off the storefront)`;
  return `${done}${failed > 0 ? `; ${failed} could not be ${action === 'approve' ? 'approved' : 'rejected'}` : ''}.`;
}
