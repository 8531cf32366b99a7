import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, createSqliteJobStore, migrateSqlite } from '../src/index.js';
import { SELECT_DUE_SQL } from '../src/statements.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('migrations and connection settings', () => {
  it('migrations are numbered 1..N without gaps', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(Array.from({ length: MIGRATIONS.length }, (_, i) => i + 1));
    expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('a new file is migrated once; reopening is a no-op that writes nothing', async () => {
    const path = join(tmp.dir, 'fresh.db');
    const store = createSqliteJobStore({ filename: path, busyTimeoutMs: 1234 });
    expect(store.migration).toEqual({ fromVersion: 0, toVersion: LATEST_SCHEMA_VERSION, applied: MIGRATIONS.map((m) => m.version) });
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(1234);
    await store.close();

    const before = readFileSync(path);
    const again = createSqliteJobStore({ filename: path });
    expect(again.migration.applied).toEqual([]);
    await again.close();
    expect(migrateSqlite(path)).toEqual({ fromVersion: LATEST_SCHEMA_VERSION, toVersion: LATEST_SCHEMA_VERSION, applied: [] });
    expect(readFileSync(path).equals(before)).toBe(true);

    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all()).toEqual(
      MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
    );
    const indexes = (raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs'").all() as Array<{ name: string }>).map(
      (r) => r.name,
    );
    expect(indexes).toEqual(expect.arrayContaining(['jobs_identity', 'jobs_claim']));
    raw.close();
  });

  it('migrateSqlite accepts an open connection and leaves it open', () => {
    const db = new Database(':memory:');
    expect(migrateSqlite(db).applied).toEqual([1, 2]);
    expect(db.open).toBe(true);
    expect(migrateSqlite(db).applied).toEqual([]);
    const store = createSqliteJobStore({ database: db });
    expect(store.db).toBe(db);
    void store.close();
    expect(db.open).toBe(true);
    db.close();
  });

  it('the identity is unique in the database itself, and the claim query uses its index', () => {
    const db = new Database(':memory:');
    migrateSqlite(db);
    const insert = db.prepare(
      "INSERT INTO jobs (id, sku, sha256, theme, status, attempts, max_attempts, created_at, updated_at, version) VALUES (?, 'S', 'abc', 'default', 'NEW', 0, 5, 0, 0, 1)",
    );
    insert.run('a');
    expect(() => insert.run('b')).toThrow(/UNIQUE/);
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${SELECT_DUE_SQL}`).all({ now: 5, limit: 3 }) as Array<{ detail: string }>;
    const detail = plan.map((p) => p.detail).join('\n');
    expect(detail).toMatch(/jobs_claim/);
    expect(detail).not.toMatch(/TEMP B-TREE/);
    db.close();
  });
});
