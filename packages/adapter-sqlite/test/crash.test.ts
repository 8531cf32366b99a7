import { fork } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteJobStore } from '../src/index.js';
import { TS_EXEC_ARGV, tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));
const PKG = fileURLToPath(new URL('..', import.meta.url));
const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('a process killed with SIGKILL mid-write', () => {
  it('leaves a file that opens cleanly with every committed job', async () => {
    const filename = join(tmp.dir, 'crash.db');
    const committed: Array<{ id: string; version: number }> = [];
    const child = fork(CHILD, [filename], { execArgv: TS_EXEC_ARGV, cwd: PKG, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const exit = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', () => reject(new Error('the writer exited before it was killed')));
      child.on('message', (m) => {
        committed.push(m as { id: string; version: number });
        if (committed.length === 300) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    expect(await exit).toBe('SIGKILL');
    // No clean close happened: the WAL (with committed, un-checkpointed frames) is still there.
    expect(existsSync(`${filename}-wal`)).toBe(true);
    expect(statSync(`${filename}-wal`).size).toBeGreaterThan(0);

    const store = createSqliteJobStore({ filename });
    try {
      expect(store.migration.applied).toEqual([]);
      const missing: string[] = [];
      for (const c of committed) {
        const job = await store.get(c.id);
        if (job === null || job.version < c.version || job.costUsd !== 0.5) missing.push(c.id);
      }
      expect(missing).toEqual([]);
      const total = (await store.list({ sku: 'CRASH', limit: 1, offset: 0 })).total;
      expect(total).toBeGreaterThanOrEqual(committed.length);
      // Each committed job kept both of its events (job row and event rows commit together).
      for (const c of committed.slice(-20)) expect(await store.listEvents(c.id)).toHaveLength(2);
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      await store.close();
    }
    const raw = new Database(filename, { readonly: true });
    expect(raw.pragma('foreign_key_check')).toEqual([]);
    raw.close();
  }, 60_000);
});
