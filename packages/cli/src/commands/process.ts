/** `jobkit process <folder|csv>`: backfill photos through the embedded pipeline. */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { JobkitError, assertSafeKey, createThemeRegistry, type Job } from 'jobkit';
import { COMMON_HELP, booleanFlag, stringFlag } from '../args.js';
import type { Command, CommandContext } from '../command.js';
import { scanInput, type FileInput, type PhotoInput, type RejectedInput } from '../input.js';
import { UsageError, type ExitCode } from '../io.js';
import { startJobRun, type JobRun } from '../job-run.js';
import { writeJson, writeLine } from '../output.js';
import { PIPELINE_HELP, loadPipelineSettings, pipelineFromFlags, savePipelineSettings, storefrontDir } from '../pipeline-options.js';
import { RUN_HELP, RUN_OPTIONS, runFlags } from '../run-options.js';
import { createProgress } from '../progress.js';
import { HOSTED_HELP, hostedSegmenterFromEnv } from '../hosted-segmenter.js';
import { REVIEW_HELP } from '../review-options.js';
import { openPipeline, openRuntime, type Runtime } from '../runtime.js';
import { printRunSummary, runExitCode, runToJson } from '../run-summary.js';

const HELP = `Usage: jobkit process <folder|file.csv> [options]

Runs every photo through the pipeline (segment → backgrounds → composite → [review] → storefront) on the
embedded defaults: SQLite, local files, provider-sharp and a local storefront directory. Every cutout is
scored; a doubtful one waits in REVIEW for \`jobkit review\` instead of reaching the storefront. Re-running
is safe: finished photos are skipped, unfinished ones continue, held ones stay held.

Input:
  folder             every image file in it (jpg, jpeg, png, webp, avif, gif, tif, tiff; not recursive);
                     the SKU is the file name without extension
  file.csv           a header row with "sku", an image column ("image", "path", "imageUrl" or "url":
                     a local path relative to the CSV, or an http(s) URL) and optionally "sha256"
                     (required for URLs)

Options:
  --theme <list>         theme(s), comma separated: default, studio, warm, slate (default: default)
  --retry-failed         re-run photos whose job FAILED in an earlier run (not cuts rejected in review)

${RUN_HELP}

${REVIEW_HELP}

${PIPELINE_HELP}

${HOSTED_HELP}

${COMMON_HELP}

Exit codes: 0 all done, 1 a job failed or an input row was rejected, 2 usage error, 3 nothing failed but
jobs are held for review (\`jobkit review\`), 130 interrupted.

Examples:
  jobkit process ./photos --theme studio
  jobkit process products.csv --theme studio,warm --out ./public/products --concurrency 2`;

export const processCommand: Command = {
  name: 'process',
  summary: 'run a folder of photos or a CSV through the pipeline',
  help: HELP,
  allowPositionals: true,
  options: { theme: { type: 'string' }, 'retry-failed': { type: 'boolean' }, ...RUN_OPTIONS },
  run: runProcess,
};

function parseThemes(raw: string | undefined): string[] {
  const registry = createThemeRegistry();
  const list = (raw ?? 'default')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (list.length === 0) throw new UsageError('--theme needs at least one theme name');
  for (const t of list) {
    if (!registry.has(t)) throw new UsageError(`unknown theme ${JSON.stringify(t)}; known themes: ${registry.names().join(', ')}`);
  }
  return [...new Set(list)];
}

async function runProcess(ctx: CommandContext): Promise<ExitCode> {
  const { io, values } = ctx;
  if (ctx.positionals.length === 0) throw new UsageError('missing input: give a folder of photos or a .csv file');
  if (ctx.positionals.length > 1) throw new UsageError(`expected one input, got ${ctx.positionals.length}: ${ctx.positionals.join(' ')}`);
  const themes = parseThemes(stringFlag(values, 'theme'));
  const { concurrency, quiet, allowPrivate, review } = runFlags(values, io.env);
  const hosted = hostedSegmenterFromEnv(io);
  const retryFailed = booleanFlag(values, 'retry-failed');
  const settings = pipelineFromFlags(values, await loadPipelineSettings(ctx.dataDir), io.cwd);
  const outDir = storefrontDir(settings, ctx.dataDir);
  const scan = await scanInput(ctx.positionals[0]!, io.cwd);

  const runtime = await openRuntime({ dataDir: ctx.dataDir, create: true, review, hosted, ...(allowPrivate ? { addressPolicy: { allowPrivate: true } } : {}) });
  try {
    await savePipelineSettings(ctx.dataDir, settings);
    // Scan problems first, before a progress bar owns the terminal line.
    for (const r of scan.rejected) writeLine(io.stderr, rejectionLine(r));
    const { worker, segmenter } = openPipeline(runtime, { storefrontDir: outDir, settings, concurrency });
    // Our own stop signal as well as Ctrl-C: a broken database must stop the worker too.
    const fatal = new AbortController();
    const signal = io.signal ? AbortSignal.any([io.signal, fatal.signal]) : fatal.signal;
    const run = startJobRun({
      worker,
      store: runtime.store,
      progress: createProgress({ stream: io.stderr, enabled: !quiet }),
      stderr: io.stderr,
      signal,
    });
    const report = (r: RejectedInput) => {
      run.reject(r);
      writeLine(io.stderr, rejectionLine(r));
    };
    for (const r of scan.rejected) run.reject(r);

    let fatalError: unknown = null;
    for (const input of scan.inputs) {
      if (run.interrupted) break;
      try {
        await enqueue(runtime, run, input, themes, retryFailed, report);
      } catch (e) {
        fatalError = e;
        fatal.abort();
        break;
      }
    }
    const result = await run.finish();
    if (fatalError) throw fatalError;
    const exitCode = runExitCode(result);
    if (ctx.json) {
      writeJson(
        io.stdout,
        runToJson(
          result,
          { input: scan.path, inputKind: scan.kind, themes, dataDir: ctx.dataDir, outDir, settings, review, segmenter: segmenter.name },
          exitCode,
        ),
      );
    } else {
      printRunSummary(io.stdout, result, outDir);
    }
    return exitCode;
  } finally {
    await runtime.close();
  }
}

function rejectionLine(r: RejectedInput): string {
  return `${r.severity === 'error' ? 'error' : 'ignored'}: ${r.source}: ${r.reason}`;
}

/** Errors that concern one input (bad photo, refused URL …); anything else stops the run. */
function isRowError(e: unknown): e is JobkitError {
  return JobkitError.is(e) && e.code !== 'STORAGE_FAILED' && e.code !== 'INTERNAL';
}

async function enqueue(
  runtime: Runtime,
  run: JobRun,
  input: PhotoInput,
  themes: string[],
  retryFailed: boolean,
  report: (r: RejectedInput) => void,
): Promise<void> {
  let source: { originalKey: string; sha256: string } | { imageUrl: string; sha256: string };
  if (input.kind === 'file') {
    const uploaded = await upload(runtime, input, report);
    if (!uploaded) return;
    source = uploaded;
  } else {
    source = { imageUrl: input.url, sha256: input.sha256 };
  }
  for (const theme of themes) {
    try {
      const { job } = await runtime.service.createJob({ sku: input.sku, theme, autoStart: true, ...source });
      await follow(runtime, run, job, input.source, retryFailed, report);
    } catch (e) {
      if (!isRowError(e)) throw e;
      report({ source: input.source, severity: 'error', reason: `${e.code}: ${e.message}` });
    }
  }
}

/** Puts a local photo into the object store as uploads/{sku}/{sha256}.{ext} (once: the key names its content). */
async function upload(runtime: Runtime, input: FileInput, report: (r: RejectedInput) => void): Promise<{ originalKey: string; sha256: string } | null> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(input.path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'file not found' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EISDIR' ? 'is a folder' : err.message;
    report({ source: input.source, severity: 'error', reason: `cannot read ${input.path}: ${why}` });
    return null;
  }
  if (bytes.length === 0) {
    report({ source: input.source, severity: 'error', reason: `${input.path} is empty (0 bytes)` });
    return null;
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (input.sha256 && input.sha256 !== sha256) {
    report({ source: input.source, severity: 'error', reason: `${input.path} hashes to ${sha256}, but the CSV says ${input.sha256}` });
    return null;
  }
  const originalKey = `uploads/${input.sku}/${sha256}.${input.ext}`;
  assertSafeKey(originalKey, 'originalKey');
  if (!(await runtime.objects.exists(originalKey))) await runtime.objects.put(originalKey, bytes);
  return { originalKey, sha256 };
}

/**
 * Decides what an existing or new job needs from this run. A job held in REVIEW is tracked and counts as
 * held at once. --retry-failed leaves cuts rejected in review alone: re-running them locally would give
 * the same cut (`jobkit retry <id>` puts one back in REVIEW on purpose).
 */
async function follow(runtime: Runtime, run: JobRun, job: Job, source: string, retryFailed: boolean, report: (r: RejectedInput) => void): Promise<void> {
  if (job.status === 'DONE') return run.settled(job, source);
  if (job.status === 'FAILED') {
    if (retryFailed && job.purgedAt === null && job.errorCode !== 'REJECTED') return run.track(await runtime.service.retryJob(job.id), source);
    return run.settled(job, source);
  }
  if (job.driver === 'external') {
    report({ source, severity: 'error', reason: `job ${job.id} is driven by an external orchestrator; the CLI does not run it` });
    return;
  }
  if (job.driver === null) job = (await runtime.service.startJob(job.id, { driver: 'worker' })).job;
  run.track(job, source);
}
