/**
 * Upgrades keep data: the reference server of this version starts on a data directory written by 0.1.0
 * (fixtures/data-0.1.0, see fixtures/README.md), migrates it, and runs its unfinished jobs on — while what
 * 0.1.0 finished stays exactly as it was.
 */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type Job, type JobEvent } from 'jobkit';
import { loadConfig } from '../../examples/express-server/src/config.js';
import { startServer, type RunningServer } from '../../examples/express-server/src/server.js';

const fixture = fileURLToPath(new URL('../fixtures/data-0.1.0', import.meta.url));
type FixtureJobs = Record<'done' | 'compositing' | 'failed' | 'leased' | 'queued' | 'external', string>;

describe('a data directory written by 0.1.0', () => {
  let dir = '';
  let server: RunningServer;
  let ids: FixtureJobs;
  let token = '';
  let before: { done: Job; doneEvents: JobEvent[] };

  const api = async <T>(method: string, route: string): Promise<T> => {
    const res = await fetch(`${server.api}${route}`, { method, headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as T;
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  const job = async (id: string) => (await api<{ job: Job }>('GET', `/jobs/${id}`)).job;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'jobkit-upgrade-'));
    const data = path.join(dir, 'data');
    await cp(fixture, data, { recursive: true });
    ids = JSON.parse(await readFile(path.join(data, 'fixture-jobs.json'), 'utf8')) as FixtureJobs;
    token = (await readFile(path.join(data, 'api-token'), 'utf8')).trim();
    // What 0.1.0 left, read with the 0.1.0 schema before this version touches the file.
    const db = new Database(path.join(data, 'jobkit.db'), { readonly: true });
    expect(db.prepare('SELECT max(version) AS v FROM schema_migrations').get()).toEqual({ v: 1 });
    db.close();
    server = await startServer(loadConfig({ PORT: '0', HOST: '127.0.0.1', JOBKIT_DATA_DIR: data }), silentLogger);
    before = { done: await job(ids.done), doneEvents: (await api<{ events: JobEvent[] }>('GET', `/jobs/${ids.done}/events`)).events };
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps what 0.1.0 finished exactly as it was', async () => {
    expect(before.done).toMatchObject({ status: 'DONE', sku: 'BOTTLE-001', theme: 'default', quality: null, segmentWith: null });
    expect(before.done.storefrontMediaIds).toHaveLength(before.done.compositeKeys.length);
    expect(before.doneEvents.map((e) => e.to)).toEqual(['QUEUED', 'SEGMENTING', 'BG_GENERATING', 'COMPOSITING', 'SHOPIFY_PUSH', 'DONE']);
    expect(await job(ids.failed)).toMatchObject({ status: 'FAILED', errorCode: 'CHECKSUM_MISMATCH', failedStatus: 'QUEUED' });
    expect(await job(ids.external)).toMatchObject({ status: 'NEW', driver: null });
  });

  it('runs the unfinished jobs on: mid-pipeline, queued, and leased by a worker that crashed', { timeout: 180_000 }, async () => {
    const open = [ids.compositing, ids.queued, ids.leased];
    const deadline = Date.now() + 150_000;
    let jobs: Job[] = [];
    for (;;) {
      jobs = await Promise.all(open.map(job));
      // A doubtful cut waits for a person: approve it as an operator would.
      for (const j of jobs.filter((x) => x.status === 'REVIEW')) await api('POST', `/jobs/${j.id}/approve`);
      if (jobs.every((j) => j.status === 'DONE' || j.status === 'FAILED')) break;
      if (Date.now() > deadline) throw new Error(`not finished: ${jobs.map((j) => `${j.sku}/${j.theme}=${j.status}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    for (const j of jobs) {
      expect(j, `${j.sku}/${j.theme}: ${j.errorMessage}`).toMatchObject({ status: 'DONE', leaseOwner: null });
      expect(j.storefrontMediaIds).toHaveLength(j.compositeKeys.length);
      // Scored (0.1.0's cutouts by the quality gate), or held for a person: never published unjudged.
      const path = (await api<{ events: JobEvent[] }>('GET', `/jobs/${j.id}/events`)).events.map((e) => e.to);
      if (j.quality === null) expect(path).toContain('REVIEW');
      else expect(j.quality.score).toBeGreaterThanOrEqual(0);
    }
    // The job that was mid-pipeline resumed where it stopped: 0.1.0's mask and background were reused.
    const resumed = jobs[0]!;
    const events = (await api<{ events: JobEvent[] }>('GET', `/jobs/${resumed.id}/events`)).events;
    expect(events.filter((e) => e.to === 'BG_GENERATING')).toHaveLength(1);
    expect(events.filter((e) => e.errorCode === 'STORAGE_FAILED')).toHaveLength(1);
    // The finished job was not touched by the run.
    expect(await job(ids.done)).toEqual(before.done);
    expect((await api<{ events: JobEvent[] }>('GET', `/jobs/${ids.done}/events`)).events).toEqual(before.doneEvents);
  });

  it('migrated the file, and 0.1.0 jobs take the operations of this version', async () => {
    const db = new Database(path.join(dir, 'data', 'jobkit.db'), { readonly: true });
    try {
      expect((db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>).map((r) => r.version)).toEqual([1, 2]);
    } finally {
      db.close();
    }
    const retried = await api<{ job: Job }>('POST', `/jobs/${ids.failed}/retry`);
    expect(retried.job.status).toBe('QUEUED');
    const started = await api<{ job: Job }>('POST', `/jobs/${ids.external}/start`);
    expect(started.job.status).toBe('QUEUED');
  });
});
