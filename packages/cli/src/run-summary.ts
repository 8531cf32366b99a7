/** The end-of-run report shared by `process` and `retry`: counts per outcome, spend, time, failures. */
import type { JobOutcome, RunResult } from './job-run.js';
import type { OutputStream } from './io.js';
import { formatDuration, formatPairs, formatTable, formatUsd, writeLine } from './output.js';

export interface RunCounts {
  total: number;
  done: number;
  skipped: number;
  failed: number;
  pending: number;
  rejected: number;
  warnings: number;
}

export function countRun(result: RunResult): RunCounts {
  const by = (o: JobOutcome) => result.jobs.filter((j) => j.outcome === o).length;
  return {
    total: result.jobs.length,
    done: by('done'),
    skipped: by('skipped'),
    failed: by('failed'),
    pending: by('pending'),
    rejected: result.rejected.filter((r) => r.severity === 'error').length,
    warnings: result.rejected.filter((r) => r.severity === 'warning').length,
  };
}

/** Run outcome → the JSON document `--json` prints. */
export function runToJson(result: RunResult, extra: Record<string, unknown>, exitCode: number): Record<string, unknown> {
  return {
    ...extra,
    counts: countRun(result),
    spendUsd: result.spendUsd,
    elapsedMs: result.elapsedMs,
    interrupted: result.interrupted,
    exitCode,
    jobs: result.jobs,
    rejected: result.rejected,
  };
}

export function printRunSummary(stream: OutputStream, result: RunResult, outDir: string): void {
  const c = countRun(result);
  writeLine(stream);
  writeLine(stream, result.interrupted ? 'Interrupted — summary so far:' : 'Summary:');
  const rows: Array<[string, string]> = [
    ['done', String(c.done)],
    ['skipped (already done)', String(c.skipped)],
    ['failed', String(c.failed)],
  ];
  if (c.pending > 0) rows.push(['unfinished', `${c.pending} (run again to continue)`]);
  rows.push(['rejected inputs', String(c.rejected)]);
  if (c.warnings > 0) rows.push(['ignored files', String(c.warnings)]);
  rows.push(['jobs', String(c.total)], ['spend', formatUsd(result.spendUsd)], ['elapsed', formatDuration(result.elapsedMs)], ['output', outDir]);
  writeLine(stream, formatPairs(rows));
  const failed = result.jobs.filter((j) => j.outcome === 'failed');
  if (failed.length > 0) {
    writeLine(stream);
    writeLine(stream, 'Failed jobs (`jobkit retry --all-failed` re-runs them):');
    writeLine(
      stream,
      formatTable(failed, [
        { header: 'JOB', value: (j) => j.id },
        { header: 'SKU', value: (j) => j.sku },
        { header: 'THEME', value: (j) => j.theme },
        { header: 'SOURCE', value: (j) => j.source, maxWidth: 40 },
        { header: 'ERROR', value: (j) => `${j.errorCode ?? ''} ${j.errorMessage ?? ''}`.trim(), maxWidth: 100 },
      ]),
    );
  }
}

/** 130 when interrupted, 1 when a job failed or an input was rejected as an error, else 0. */
export function runExitCode(result: RunResult): 0 | 1 | 130 {
  if (result.interrupted) return 130;
  const c = countRun(result);
  return c.failed > 0 || c.rejected > 0 ? 1 : 0;
}
