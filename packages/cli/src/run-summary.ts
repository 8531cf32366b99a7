/** The end-of-run report of the commands that run jobs: counts per outcome, spend, time, failures, holds. */
import type { JobOutcome, RunResult } from './job-run.js';
import { EXIT, type OutputStream } from './io.js';
import { formatDuration, formatPairs, formatTable, formatUsd, writeLine } from './output.js';

export interface RunCounts {
  total: number;
  done: number;
  skipped: number;
  failed: number;
  /** Waiting in REVIEW: not on the storefront until approved. */
  held: number;
  pending: number;
  rejected: number;
  warnings: number;
}

function countRun(result: RunResult): RunCounts {
  const by = (o: JobOutcome) => result.jobs.filter((j) => j.outcome === o).length;
  return {
    total: result.jobs.length,
    done: by('done'),
    skipped: by('skipped'),
    failed: by('failed'),
    held: by('held'),
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
  if (c.held > 0) rows.push(['held for review', `${c.held} (run \`jobkit review\`)`]);
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
  const held = result.jobs.filter((j) => j.outcome === 'held');
  if (held.length > 0) {
    writeLine(stream);
    writeLine(stream, 'Held for review — not on the storefront until approved (`jobkit review approve <id>` / `jobkit review reject <id> --reason …`):');
    writeLine(
      stream,
      formatTable(held, [
        { header: 'JOB', value: (j) => j.id },
        { header: 'SKU', value: (j) => j.sku },
        { header: 'THEME', value: (j) => j.theme },
        { header: 'SCORE', value: (j) => formatScore(j.qualityScore), align: 'right' },
        { header: 'REASONS', value: (j) => j.heldFor ?? j.qualityReasons.join('; '), maxWidth: 100 },
      ]),
    );
  }
}

/** A quality score for tables: two decimals, or a dash when nothing scored the cut. */
export function formatScore(score: number | null | undefined): string {
  return score === null || score === undefined ? '—' : score.toFixed(2);
}

/**
 * 130 when interrupted; 1 when a job failed or an input was rejected as an error; 3 when nothing failed but
 * jobs wait in REVIEW (the run is not finished as far as the storefront goes: scripts should notice, and
 * can tell it from a failure); else 0.
 */
export function runExitCode(result: RunResult): typeof EXIT.OK | typeof EXIT.FAILURE | typeof EXIT.HELD | typeof EXIT.INTERRUPTED {
  if (result.interrupted) return EXIT.INTERRUPTED;
  const c = countRun(result);
  if (c.failed > 0 || c.rejected > 0) return EXIT.FAILURE;
  return c.held > 0 ? EXIT.HELD : EXIT.OK;
}
