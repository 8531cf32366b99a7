// Global test setup: starts shared services (see test-support/*.ts). Each returns a teardown.
import { startSharedPostgres } from './postgres.js';

export default async function setup(): Promise<() => Promise<void>> {
  const teardowns: Array<() => Promise<void>> = [];
  // PostgreSQL: one throwaway cluster per run unless JOBKIT_TEST_PG_URL points at a server.
  const pg = await startSharedPostgres();
  if (pg) teardowns.push(pg);
  return async () => {
    for (const t of teardowns.reverse()) await t();
  };
}
