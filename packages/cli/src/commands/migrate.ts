/**
 * `jobkit migrate`: bring the job database to the latest schema — the SQLite file of the data directory
 * (created when missing), or a PostgreSQL database with --database-url (or DATABASE_URL).
 */
import { promises as fs } from 'node:fs';
import { migrateSqlite } from '@jobkit/adapter-sqlite';
import { migratePostgres } from '@jobkit/adapter-postgres';
import { COMMON_HELP, stringFlag } from '../args.js';
import type { Command, CommandContext } from '../command.js';
import { EXIT, type ExitCode } from '../io.js';
import { writeJson, writeLine } from '../output.js';
import { databasePath } from '../runtime.js';

const HELP = `Usage: jobkit migrate [options]

Applies pending migrations and prints the schema version. Without a database URL: the SQLite file
{data-dir}/jobs.db (created when missing). With --database-url (or DATABASE_URL): that PostgreSQL
database, under an advisory lock so concurrent deployments migrate once. Stores migrate on open too; run
this ahead of a deployment or after an upgrade.

Options:
  --database-url <url>   PostgreSQL connection string (default: $DATABASE_URL; unset = SQLite)
  --schema <name>        PostgreSQL schema (default: jobkit)

${COMMON_HELP}`;

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply the SQLite (or PostgreSQL) migrations; print the schema version',
  help: HELP,
  allowPositionals: false,
  options: { 'database-url': { type: 'string' }, schema: { type: 'string' } },
  async run(ctx: CommandContext): Promise<ExitCode> {
    const url = stringFlag(ctx.values, 'database-url') ?? (ctx.io.env['DATABASE_URL'] || undefined);
    if (url !== undefined) {
      const schema = stringFlag(ctx.values, 'schema');
      const r = await migratePostgres({ connectionString: url, ...(schema ? { schema } : {}) });
      const target = `postgres schema ${r.schema}`;
      if (ctx.json) {
        writeJson(ctx.io.stdout, { database: 'postgres', schema: r.schema, schemaVersion: r.to, fromVersion: r.from, toVersion: r.to, applied: r.applied });
        return EXIT.OK;
      }
      writeLine(
        ctx.io.stdout,
        r.applied.length === 0
          ? `${target}: schema version ${r.to} (up to date)`
          : `${target}: schema version ${r.from} → ${r.to} (applied ${r.applied.join(', ')})`,
      );
      return EXIT.OK;
    }
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
