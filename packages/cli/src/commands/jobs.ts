/** `jobkit jobs`: list jobs with filters, newest first. */
import { JOB_STATUSES, isJobStatus, type Job } from 'jobkit';
import { COMMON_HELP, intFlag, stringFlag } from '../args.js';
import type { Command, CommandContext } from '../command.js';
import { EXIT, UsageError, type ExitCode } from '../io.js';
import { formatTable, formatUsd, writeJson, writeLine } from '../output.js';
import { formatScore } from '../run-summary.js';
import { openRuntime } from '../runtime.js';

const HELP = `Usage: jobkit jobs [options]

Lists jobs, newest first. SCORE is the cutout's quality (0..1; — before segmentation or when nothing
scored it); jobs in REVIEW wait for \`jobkit review\`.

Options:
  --status <status>  only this status: ${JOB_STATUSES.join(', ')} (case-insensitive)
  --sku <sku>        only this SKU
  --theme <theme>    only this theme
  --limit <n>        page size, 1..1000 (default 50)
  --offset <n>       skip the first n jobs (default 0)

${COMMON_HELP}

Examples:
  jobkit jobs --status failed
  jobkit jobs --status review
  jobkit jobs --sku MUG-001 --json`;

export const jobsCommand: Command = {
  name: 'jobs',
  summary: 'list jobs (filter by status, SKU, theme)',
  help: HELP,
  allowPositionals: false,
  options: { status: { type: 'string' }, sku: { type: 'string' }, theme: { type: 'string' }, limit: { type: 'string' }, offset: { type: 'string' } },
  async run(ctx: CommandContext): Promise<ExitCode> {
    const { values, io } = ctx;
    const statusRaw = stringFlag(values, 'status');
    const status = statusRaw?.toUpperCase();
    if (status !== undefined && !isJobStatus(status))
      throw new UsageError(`--status ${JSON.stringify(statusRaw)} is not a status; use one of ${JOB_STATUSES.join(', ')}`);
    const limit = intFlag(values, 'limit', 50, 1, 1000);
    const offset = intFlag(values, 'offset', 0, 0, 1_000_000);
    const runtime = await openRuntime({ dataDir: ctx.dataDir, create: false });
    try {
      const page = await runtime.service.listJobs({ status, sku: stringFlag(values, 'sku'), theme: stringFlag(values, 'theme'), limit, offset });
      if (ctx.json) {
        writeJson(io.stdout, page);
        return EXIT.OK;
      }
      if (page.jobs.length === 0) {
        writeLine(io.stdout, page.total === 0 ? 'No jobs.' : `No jobs at offset ${offset} (${page.total} in total).`);
        return EXIT.OK;
      }
      writeLine(
        io.stdout,
        formatTable<Job>(page.jobs, [
          { header: 'ID', value: (j) => j.id },
          { header: 'SKU', value: (j) => j.sku, maxWidth: 32 },
          { header: 'THEME', value: (j) => j.theme },
          { header: 'STATUS', value: (j) => j.status },
          { header: 'SCORE', value: (j) => formatScore(j.quality?.score), align: 'right' },
          { header: 'TRIES', value: (j) => String(j.attempts), align: 'right' },
          { header: 'COST', value: (j) => formatUsd(j.costUsd), align: 'right' },
          { header: 'UPDATED', value: (j) => j.updatedAt.replace('T', ' ').slice(0, 19) },
          { header: 'ERROR', value: (j) => (j.errorCode ? `${j.errorCode} ${j.errorMessage ?? ''}` : ''), maxWidth: 60 },
        ]),
      );
      const shown = `${offset + 1}–${offset + page.jobs.length} of ${page.total}`;
      writeLine(io.stdout, `\n${shown}${offset + page.jobs.length < page.total ? ` (next page: --offset ${offset + page.jobs.length})` : ''}`);
      return EXIT.OK;
    } finally {
      await runtime.close();
    }
  },
};
