/** `jobkit migrate --database-url` against the run's PostgreSQL server (skipped, saying why, without one). */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { postgresTestTarget } from '../../../test-support/postgres.js';
import { runCli, tmpDir } from './support/cli.js';

const target = postgresTestTarget();
const describePg = target.url ? describe : describe.skip;

describePg(`jobkit migrate on PostgreSQL${target.skipReason ? ` [SKIPPED: ${target.skipReason}]` : ''}`, () => {
  it('applies the migrations once into the given schema, then reports it up to date; DATABASE_URL works too', async () => {
    const schema = `cli_${randomBytes(4).toString('hex')}`;
    const cwd = tmpDir();
    const first = await runCli(['migrate', '--database-url', target.url!, '--schema', schema, '--json'], { cwd, env: {} });
    expect(first.code, first.stderr).toBe(0);
    const doc = JSON.parse(first.stdout) as { schema: string; fromVersion: number; toVersion: number; applied: number[] };
    expect(doc).toMatchObject({ schema, fromVersion: 0 });
    expect(doc.applied.length).toBeGreaterThan(0);
    const again = await runCli(['migrate', '--schema', schema], { cwd, env: { DATABASE_URL: target.url! } });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`postgres schema ${schema}: schema version ${doc.toVersion} \\(up to date\\)`));
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [
        schema,
        'jobs',
      ]);
      expect(rows[0].n).toBe(1);
      await client.query(`DROP SCHEMA "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  });

  it('an unusable schema name is a clear error, not SQL', async () => {
    const r = await runCli(['migrate', '--database-url', target.url!, '--schema', 'bad"; DROP TABLE x; --'], { cwd: tmpDir(), env: {} });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/schema/i);
  });
});
