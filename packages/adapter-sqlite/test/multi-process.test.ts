import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { randomSha256 } from 'jobkit/testing';
import { createSqliteJobStore } from '../src/index.js';
import { MIGRATIONS } from '../src/migrations/index.js';
import type { ClaimWindow, HammerReport, HammerStart } from './fixtures/hammer-child.js';
import { TS_EXEC_ARGV, tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/hammer-child.ts', import.meta.url));
const PKG = fileURLToPath(new URL('..', import.meta.url));
const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** Forks a child; resolves `ready` once it has opened the store, `report` when it is done. */
function forkChild(filename: string): { ready: Promise<void>; start: (msg: HammerStart) => Promise<HammerReport> } {
  const child = fork(CHILD, [filename], { execArgv: TS_EXEC_ARGV, cwd: PKG, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let report: HammerReport | undefined;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const done = new Promise<HammerReport>((resolve, reject) => {
    child.on('message', (m: { ready?: boolean } | HammerReport) => {
      if ('ready' in m) markReady();
      else report = m as HammerReport;
    });
    child.on('error', reject);
    child.on('exit', (code) => (report && code === 0 ? resolve(report) : reject(new Error(`child exited with ${code} and no report`))));
  });
  return {
    ready,
    start: (msg) => {
      child.send(msg);
      return done;
    },
  };
}

describe('four processes on one database file', () => {
  it('make exactly one job per identity, never double-lease a job, and never leak SQLITE_BUSY', async () => {
    const filename = join(tmp.dir, 'shared.db');
    // No migration beforehand: the four children race to create, switch to WAL and migrate the new file.
    const identities = Array.from({ length: 200 }, (_, i) => ({ sku: `SKU-${i % 17}`, sha256: randomSha256(), theme: i % 3 ? 'default' : 'studio' }));
    const leaseMs = 10_000;
    const children = Array.from({ length: 4 }, () => forkChild(filename));
    await Promise.all(children.map((c) => c.ready));
    const reports = await Promise.all(children.map((c, i) => c.start({ owner: `proc-${i}`, identities, leaseMs })));

    expect(reports.flatMap((r) => r.errors)).toEqual([]);
    expect(reports.reduce((sum, r) => sum + r.created, 0)).toBe(200);
    expect(new Set(reports.flatMap((r) => r.createdIds)).size).toBe(200);

    // No two claim windows of one job overlap (a window ends when its holder starts giving the lease up).
    const byJob = new Map<string, ClaimWindow[]>();
    for (const c of reports.flatMap((r) => r.claims)) byJob.set(c.id, [...(byJob.get(c.id) ?? []), c]);
    const overlaps: string[] = [];
    for (const [id, windows] of byJob) {
      windows.sort((a, b) => a.start - b.start);
      for (let i = 1; i < windows.length; i++) if (windows[i]!.start < windows[i - 1]!.end) overlaps.push(id);
    }
    expect(overlaps).toEqual([]);
    // Every job was claimed and completed exactly once (the lease outlives the test, so no re-claims).
    expect(byJob.size).toBe(200);
    expect([...byJob.values()].every((w) => w.length === 1)).toBe(true);
    // The claims spread over several processes (otherwise the test proved nothing about concurrency).
    expect(new Set(reports.filter((r) => r.claims.length > 0).map((r) => r.owner)).size).toBeGreaterThan(1);

    const store = createSqliteJobStore({ filename });
    try {
      const all = await store.list({ limit: 1000, offset: 0 });
      expect(all.total).toBe(200);
      expect(all.jobs.every((j) => j.status === 'DONE' && j.leaseOwner === null)).toBe(true);
      expect(store.db.prepare('SELECT version FROM schema_migrations').all()).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
      for (const j of all.jobs.slice(0, 20)) expect((await store.listEvents(j.id)).map((e) => e.to)).toEqual(['QUEUED', 'DONE']);
      expect(await store.spendSince(new Date(0))).toBeCloseTo(2.0, 6);
    } finally {
      await store.close();
    }
    const raw = new Database(filename, { readonly: true });
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();
  }, 120_000);
});
