/** `jobkit stats`: counts per status (REVIEW included), spend, durations, failure rate, cutout quality. */
import { JOB_STATUSES } from 'jobkit';
import { COMMON_HELP } from '../args.js';
import type { Command, CommandContext } from '../command.js';
import { EXIT, type ExitCode } from '../io.js';
import { formatDuration, formatPairs, formatPercent, formatUsd, writeJson, writeLine } from '../output.js';
import { qualityStats, type QualityStats } from '../quality-stats.js';
import { reviewFromFlags } from '../review-options.js';
import { openRuntime } from '../runtime.js';

const HELP = `Usage: jobkit stats [options]

Job counts per status (REVIEW: waiting for \`jobkit review\`), spend (total and since UTC midnight), mean
time to DONE, failure rate, and the cutouts' quality scores: how many were scored, mean and lowest score,
how many fall below the review threshold, and a histogram. Cleaned-up jobs are not counted.

Options:
  --review-min-score <s>   the threshold counted against, 0..1 (env JOBKIT_REVIEW_MIN_SCORE, default 0.6)

${COMMON_HELP}`;

export const statsCommand: Command = {
  name: 'stats',
  summary: 'counts per status, spend, durations, quality scores',
  help: HELP,
  allowPositionals: false,
  options: { 'review-min-score': { type: 'string' } },
  async run(ctx: CommandContext): Promise<ExitCode> {
    const { minScore } = reviewFromFlags(ctx.values, ctx.io.env);
    const runtime = await openRuntime({ dataDir: ctx.dataDir, create: false });
    try {
      const stats = await runtime.service.getJobStats();
      const quality = await qualityStats(runtime.service, minScore);
      if (ctx.json) {
        writeJson(ctx.io.stdout, { ...stats, quality });
        return EXIT.OK;
      }
      writeLine(
        ctx.io.stdout,
        formatPairs([
          ...JOB_STATUSES.map((s) => [s, String(stats.byStatus[s] ?? 0)] as const),
          ['total', String(stats.total)],
          ['spend (total)', formatUsd(stats.costUsdTotal)],
          ['spend (today, UTC)', formatUsd(stats.costUsdToday)],
          ['mean time to DONE', stats.avgDurationMs === null ? '—' : formatDuration(stats.avgDurationMs)],
          ['failure rate', formatPercent(stats.failureRate)],
          ['oldest queued', stats.oldestQueuedAt ?? '—'],
          ...qualityRows(quality),
        ]),
      );
      return EXIT.OK;
    } finally {
      await runtime.close();
    }
  },
};

function qualityRows(q: QualityStats): Array<readonly [string, string]> {
  if (q.scored === 0) return [['quality', `no scored cutouts (${q.unscored} job${q.unscored === 1 ? '' : 's'} unscored)`]];
  return [
    ['quality', `${q.scored} scored, mean ${q.mean!.toFixed(2)}, lowest ${q.min!.toFixed(2)}${q.unscored > 0 ? `, ${q.unscored} unscored` : ''}`],
    [`quality < ${q.threshold}`, String(q.belowThreshold)],
    ['quality histogram', q.buckets.map((b) => `${b.from.toFixed(1)}–${b.to.toFixed(1)}: ${b.count}`).join('  ')],
  ];
}
