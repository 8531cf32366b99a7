/** `jobkit migrate`: bring the SQLite database to the latest schema (creating it when missing). */
import { promises as fs } from 'node:fs';
import { migrateSqlite } from '@jobkit/adapter-sqlite';
import { COMMON_HELP } from '../args.js';
import type { Command, CommandContext } from '../command.js';
import { EXIT, type ExitCode } from '../io.js';
import { writeJson, writeLine } from '../output.js';
import { databasePath } from '../runtime.js';

const HELP = `Usage: jobkit migrate [options]

Applies pending SQLite migrations to {data-dir}/jobs.db (created when missing) and prints the schema
version. Other commands migrate on open too; run this ahead of a deployment or after an upgrade.

${COMMON_HELP}`;

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply the SQLite migrations; print the schema version',
  help: HELP,
  allowPositionals: false,
  options: {},
  async run(ctx: CommandContext): Promise<ExitCode> {
    await fs.mkdir(ctx.dataDir, { recursive: true });
    const file = databasePath(ctx.dataDir);
    const result = migrateSqlite(file);
    if (ctx.json) {
      writeJson(ctx.io.stdout, { database: file, schemaVersion: result.toVersion, ...result });
      return EXIT.OK;
    }
    writeLine(
      ctx.io.stdout,
      result.applied.length === 0
        ? `${file}: schema version ${result.toVersion} (up to date)`
        : `${file}: schema version ${result.fromVersion} → ${result.toVersion} (applied ${result.applied.join(', ')})`,
    );
    return EXIT.OK;
  },
};
