import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook, type Job } from 'jobkit';
import { createTestDatabase, postgresTestTarget } from '../../../test-support/postgres.js';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/server.js';
import { capturingLogger } from './helpers.js';

const target = postgresTestTarget();

describe.skipIf(!target.url)('DATABASE_URL switches the job store to PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir = '';
  beforeAll(async () => {
    db = await createTestDatabase(target.url!, 'example');
    dir = await mkdtemp(path.join(tmpdir(), 'jobkit-example-pg-'));
  });
  afterAll(async () => {
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('migrates, ingests a signed webhook idempotently and reports ready', { timeout: 60_000 }, async () => {
    const server = await startServer(
      loadConfig({
        PORT: '0',
        JOBKIT_DATA_DIR: dir,
        JOBKIT_WORKER: '0',
        DATABASE_URL: db.url,
        JOBKIT_API_TOKEN: 'pg-test-token-0123456789',
        JOBKIT_WEBHOOK_SECRET: 'pg-test-secret-0123456789',
      }),
      capturingLogger().logger,
    );
    try {
      expect(server.runtime.adapters.store).toBe('postgres');
      expect(server.runtime.paths.database).toBeUndefined();
      expect(await (await fetch(`${server.api}/readyz`)).json()).toEqual({ status: 'ready' });
      const body = JSON.stringify({ sku: 'PG-1', sha256: 'd'.repeat(64), imageUrl: 'https://images.example.com/pg.jpg' });
      const send = () =>
        fetch(`${server.api}/webhooks/3jms/images`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...signWebhook({ body, secret: 'pg-test-secret-0123456789' }) },
          body,
        });
      const answers = await Promise.all(Array.from({ length: 20 }, send));
      expect(answers.map((r) => r.status).sort()).toEqual([...Array<number>(19).fill(200), 201]);
      const { job } = (await answers.find((r) => r.status === 201)!.json()) as { job: Job };
      const page = (await (await fetch(`${server.api}/jobs?sku=PG-1`, { headers: { authorization: 'Bearer pg-test-token-0123456789' } })).json()) as {
        total: number;
        jobs: Job[];
      };
      expect(page.total).toBe(1);
      expect(page.jobs[0]!.id).toBe(job.id);
    } finally {
      await server.close();
    }
  });
});
