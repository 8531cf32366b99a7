/** `jobkit cleanup --days N`: delete finished jobs and their objects. */
import { COMMON_HELP, booleanFlag, numberFlag } from '../args.js';
import type { Command, CommandContext } from '../command.js';
import { EXIT, UsageError, type ExitCode } from '../io.js';
import { writeJson, writeLine } from '../output.js';
import { openRuntime } from '../runtime.js';

const HELP = `Usage: jobkit cleanup --days <n> [options]

Deletes DONE and FAILED jobs that finished more than <n> days ago (0 = all finished jobs), their events
and their objects under {data-dir}/objects — except originals and masks another live job of the same
photo still uses. Storefront output (--out) is never touched. Each job's identity (sku, sha256, theme)
stays as a tombstone, so re-running \`process\` on the same photos skips them.

Options:
  --days <n>             age in days (decimals allowed), required
  --forget-identities    drop the tombstones too: the same photos can then be processed again

${COMMON_HELP}`;

export const cleanupCommand: Command = {
  name: 'cleanup',
  summary: 'delete finished jobs older than N days (and their objects)',
  help: HELP,
  allowPositionals: false,
  options: { days: { type: 'string' }, 'forget-identities': { type: 'boolean' } },
  async run(ctx: CommandContext): Promise<ExitCode> {
    const days = numberFlag(ctx.values, 'days', 0, 36_500);
    if (days === undefined) throw new UsageError('--days is required (e.g. --days 30; 0 deletes every finished job)');
    const forgetIdentities = booleanFlag(ctx.values, 'forget-identities');
    const runtime = await openRuntime({ dataDir: ctx.dataDir, create: false });
    try {
      const result = await runtime.service.deleteOldJobs(days, { forgetIdentities });
      if (ctx.json) {
        writeJson(ctx.io.stdout, { days, forgetIdentities, ...result });
        return EXIT.OK;
      }
      writeLine(
        ctx.io.stdout,
        `Deleted ${result.deleted} job${result.deleted === 1 ? '' : 's'} and ${result.deletedObjects} object${result.deletedObjects === 1 ? '' : 's'}${forgetIdentities ? ' (identities forgotten)' : ''}.`,
      );
      return EXIT.OK;
    } finally {
      await runtime.close();
    }
  },
};
