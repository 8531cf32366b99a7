import { fork, spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { JobkitError } from 'jobkit';
import { creationEvent, makeJob } from 'jobkit/testing';
import { createSqliteJobStore, migrateSqlite, sqliteErrorToJobkitError } from '../src/index.js';
import { TS_EXEC_ARGV, tempDir } from './helpers.js';

const OPEN_CHILD = fileURLToPath(new URL('./fixtures/open-child.ts', import.meta.url));
const PKG = fileURLToPath(new URL('..', import.meta.url));
const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;
const file = (name: string): string => join(tmp.dir, `${n++}-${name}`);

function thrown(fn: () => unknown): JobkitError {
  try {
    fn();
  } catch (e) {
    expect(JobkitError.is(e)).toBe(true);
    return e as JobkitError;
  }
  throw new Error('expected a throw');
}

async function rejected(p: Promise<unknown>): Promise<JobkitError> {
  try {
    await p;
  } catch (e) {
    expect(JobkitError.is(e)).toBe(true);
    return e as JobkitError;
  }
  throw new Error('expected a rejection');
}

describe('files that are not usable job databases', () => {
  it('a text file: STORAGE_FAILED naming the file, bytes unchanged, no WAL created', () => {
    const path = file('notes.db');
    const content = Buffer.from('these are my notes, not a database\n'.repeat(100));
    writeFileSync(path, content);
    for (const open of [() => createSqliteJobStore({ filename: path }), () => migrateSqlite(path)]) {
      const e = thrown(open);
      expect(e.code).toBe('STORAGE_FAILED');
      expect(e.retryable).toBe(false);
      expect(e.message).toContain(path);
      expect(e.message).toMatch(/not a valid SQLite database/);
    }
    expect(readFileSync(path).equals(content)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('a SQLite file with a corrupted first page: STORAGE_FAILED, bytes unchanged', () => {
    const path = file('corrupt.db');
    const store = createSqliteJobStore({ filename: path });
    void store.close();
    const bytes = readFileSync(path);
    // Keep the 100-byte header ("SQLite format 3" and page size), smash the schema page behind it.
    bytes.fill(0xa5, 100, 4096);
    writeFileSync(path, bytes);
    const e = thrown(() => createSqliteJobStore({ filename: path }));
    expect(e.code).toBe('STORAGE_FAILED');
    expect(e.message).toContain(path);
    expect(e.details).toMatchObject({ filename: path });
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('a file written by a newer schema version is refused and left untouched', async () => {
    const path = file('future.db');
    migrateSqlite(path);
    const raw = new Database(path);
    raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(999, 'from-the-future', Date.now());
    raw.close();
    const before = readFileSync(path);
    const e = thrown(() => createSqliteJobStore({ filename: path }));
    expect(e.code).toBe('STORAGE_FAILED');
    expect(e.message).toContain(path);
    expect(e.message).toMatch(/schema version 999, newer than/);
    expect(thrown(() => migrateSqlite(path)).message).toMatch(/newer than/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('a directory instead of a file, and a missing directory', () => {
    expect(thrown(() => createSqliteJobStore({ filename: tmp.dir })).message).toContain('not a regular file');
    const e = thrown(() => createSqliteJobStore({ filename: join(tmp.dir, 'no', 'such', 'dir.db') }));
    expect(e.code).toBe('STORAGE_FAILED');
    expect(e.message).toContain(join(tmp.dir, 'no', 'such', 'dir.db'));
  });

  it('a read-only file: STORAGE_FAILED saying so, bytes unchanged', async () => {
    const path = file('readonly.db');
    migrateSqlite(path);
    chmodSync(tmp.dir, 0o755);
    chmodSync(path, 0o444);
    const before = readFileSync(path);
    // Root ignores file modes: as root, the open runs in a child whose capabilities are dropped with
    // util-linux's setpriv (same uid, so it can still read the checkout wherever CI clones it).
    const asRoot = process.getuid?.() === 0;
    const result = await new Promise<{ ok: boolean; jobkit?: boolean; code?: string; message?: string; retryable?: boolean }>((resolve, reject) => {
      const nodeArgs = [...TS_EXEC_ARGV, OPEN_CHILD, path];
      const child = asRoot
        ? spawn('setpriv', ['--bounding-set=-all', '--inh-caps=-all', '--', process.execPath, ...nodeArgs], {
            cwd: PKG,
            stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          })
        : fork(OPEN_CHILD, [path], { execArgv: TS_EXEC_ARGV, cwd: PKG, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      child.on('message', (m) => resolve(m as never));
      child.on('error', reject);
      child.on('exit', (code) => code !== 0 && reject(new Error(`open child exited with ${code}`)));
    });
    expect(result).toMatchObject({ ok: false, jobkit: true, code: 'STORAGE_FAILED', retryable: false });
    expect(result.message).toContain(path);
    expect(result.message).toMatch(/read-only/);
    expect(readFileSync(path).equals(before)).toBe(true);
  }, 30_000);
});

describe('invalid arguments are INVALID_INPUT naming the field', () => {
  it('options', () => {
    expect(thrown(() => createSqliteJobStore({})).details).toEqual({ field: 'filename' });
    expect(thrown(() => createSqliteJobStore({ filename: ':memory:', database: new Database(':memory:') })).code).toBe('INVALID_INPUT');
    expect(thrown(() => createSqliteJobStore({ filename: ':memory:', busyTimeoutMs: -1 })).details).toEqual({ field: 'busyTimeoutMs' });
    expect(thrown(() => createSqliteJobStore({ filename: ':memory:', maxBusyRetries: 1.5 })).details).toEqual({ field: 'maxBusyRetries' });
  });

  it('job fields, dates and limits', async () => {
    const store = createSqliteJobStore({ filename: ':memory:' });
    const job = makeJob({ createdAt: 'yesterday' });
    expect((await rejected(store.insertOrGet(job, creationEvent(makeJob())))).details).toEqual({ field: 'createdAt' });
    const ok = makeJob();
    expect((await rejected(store.insertOrGet({ ...ok, compositeKeys: 'c/1' as never }, creationEvent(ok)))).details).toEqual({ field: 'compositeKeys' });
    expect((await rejected(store.insertOrGet({ ...ok, status: 'PAUSED' as never }, creationEvent(ok)))).code).toBe('INVALID_INPUT');
    expect((await rejected(store.insertOrGet({ ...ok, attempts: 1.5 }, creationEvent(ok)))).code).toBe('INVALID_INPUT');
    expect((await rejected(store.claimDue({ owner: 'w', now: new Date(Number.NaN), leaseMs: 10, limit: 1 }))).details).toEqual({ field: 'now' });
    expect((await rejected(store.claimDue({ owner: '', now: new Date(), leaseMs: 10, limit: 1 }))).details).toEqual({ field: 'owner' });
    expect((await rejected(store.list({ limit: -1, offset: 0 }))).details).toEqual({ field: 'limit' });
    // Nothing was written by the refused calls.
    expect((await store.list({ limit: 10, offset: 0 })).total).toBe(0);
    await store.close();
    expect((await rejected(store.ping())).code).toBe('STORAGE_FAILED');
  });
});

describe('lock contention', () => {
  it('SQLITE_BUSY past the retries becomes a retryable STORAGE_FAILED; a short lock is waited out', async () => {
    const path = file('busy.db');
    const store = createSqliteJobStore({ filename: path, busyTimeoutMs: 0, maxBusyRetries: 0 });
    const patient = createSqliteJobStore({ filename: path, busyTimeoutMs: 0, maxBusyRetries: 8 });
    const locker = new Database(path);
    locker.exec('BEGIN IMMEDIATE');
    const job = makeJob();
    const e = await rejected(store.insertOrGet(job, creationEvent(job)));
    expect(e).toMatchObject({ code: 'STORAGE_FAILED', retryable: true });
    expect(e.details).toMatchObject({ sqliteCode: 'SQLITE_BUSY', filename: path });

    setTimeout(() => locker.exec('COMMIT'), 50);
    const res = await patient.insertOrGet(job, creationEvent(job));
    expect(res.created).toBe(true);
    locker.close();
    await store.close();
    await patient.close();
  });

  it('maps SQLite error codes', () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    expect(sqliteErrorToJobkitError(err('SQLITE_IOERR_WRITE'), 'f.db', 'update')).toMatchObject({ code: 'STORAGE_FAILED', retryable: true });
    expect(sqliteErrorToJobkitError(err('SQLITE_FULL'), 'f.db', 'update')).toMatchObject({ code: 'STORAGE_FAILED', retryable: true });
    expect(sqliteErrorToJobkitError(err('SQLITE_READONLY'), 'f.db', 'update')).toMatchObject({ code: 'STORAGE_FAILED', retryable: false });
    expect(sqliteErrorToJobkitError(err('SQLITE_CONSTRAINT_PRIMARYKEY'), 'f.db', 'insert').code).toBe('CONFLICT');
    expect(sqliteErrorToJobkitError(err('SQLITE_CONSTRAINT_CHECK'), 'f.db', 'insert').code).toBe('INVALID_INPUT');
  });
});
