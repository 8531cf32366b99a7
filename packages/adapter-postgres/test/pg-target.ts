/**
 * Where this package's tests find PostgreSQL: JOBKIT_TEST_PG_URL (set by the global setup, which starts a
 * throwaway cluster, or by you). Without a server the suites are skipped with a printed reason — or fail
 * under CI / JOBKIT_REQUIRE_PG=1.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';
import { createTestDatabase, postgresTestTarget } from '../../../test-support/postgres.js';

export const target = postgresTestTarget();

/** `describe`, or `describe.skip` with the reason in its title when no server is available. */
export const describePg: typeof describe = (
  target.url ? describe : (name: string, fn: () => void) => describe.skip(`${name} [SKIPPED: ${target.skipReason}]`, fn)
) as typeof describe;

/**
 * A fresh database for the current file (created in beforeAll, dropped in afterAll), and pools on it that
 * are ended before the drop. The pools get an error listener: the database is dropped WITH (FORCE), and a
 * test-owned pool outlives the stores that attach their own listeners.
 */
export function useTestDatabase(prefix: string): { url: () => string; pool: (max?: number) => pg.Pool } {
  let db: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  const pools: pg.Pool[] = [];
  beforeAll(async () => {
    if (target.url) db = await createTestDatabase(target.url, prefix);
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await db?.drop();
  });
  const url = (): string => {
    if (!db) throw new Error('test database not created');
    return db.url;
  };
  return {
    url,
    pool: (max = 4) => {
      const p = new pg.Pool({ connectionString: url(), max });
      p.on('error', () => undefined);
      pools.push(p);
      return p;
    },
  };
}
