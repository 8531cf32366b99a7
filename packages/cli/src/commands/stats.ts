/** `jobkit stats`: counts per status, spend, durations, failure rate. */
import { JOB_STATUSES } from 'jobkit';
import { COMMON_HELP } from '../args.js';
import type { Command, CommandContext } from '../command.js';
import { EXIT, type ExitCode } from '../io.js';
import { formatDuration, formatPairs, formatPercent, formatUsd, writeJson, writeLine } from '../output.js';
import { openRuntime } from '../runtime.js';

const HELP = `Usage: jobkit stats [options]

Job counts per status, spend (total and since UTC midnight), mean time to DONE and failure rate.
Cleaned-up jobs are not counted.

${COMMON_HELP}`;

export const statsCommand: Command = {
  name: 'stats',
  summary: 'counts per status, spend, durations',
  help: HELP,
  allowPositionals: false,
  options: {},
  async run(ctx: CommandContext): Promise<ExitCode> {
    const runtime = await openRuntime({ dataDir: ctx.dataDir, create: false });
    try {
      const stats = await runtime.service.getJobStats();
      if (ctx.json) {
        writeJson(ctx.io.stdout, stats);
        return EXIT.OK;
      }
      writeLine(ctx.io.stdout, formatPairs([
        ...JOB_STATUSES.map((s) => [s, String(stats.byStatus[s] ?? 0)] as const),
        ['total', String(stats.total)],
        ['spend (total)', formatUsd(stats.costUsdTotal)],
        ['spend (today, UTC)', formatUsd(stats.costUsdToday)],
        ['mean time to DONE', stats.avgDurationMs === null ? '—' : formatDuration(stats.avgDurationMs)],
        ['failure rate', formatPercent(stats.failureRate)],
        ['oldest queued', stats.oldestQueuedAt ?? '—'],
      ]));
      return EXIT.OK;
    } finally {
      await runtime.close();
    }
  },
};
