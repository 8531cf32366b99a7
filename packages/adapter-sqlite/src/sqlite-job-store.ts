/**
 * SQLite JobStore on better-sqlite3. better-sqlite3 is synchronous, so each port method runs its SQL to
 * completion inside one call; cross-process atomicity comes from SQLite (unique index, IMMEDIATE
 * transactions taking the write lock up front, compare-and-set on version), never from JS state.
 */
import type Database from 'better-sqlite3';
import {
  JobkitError,
  roundUsd,
  statsFrom,
  utcMidnight,
  invalidInput,
  type ClaimOptions,
  type DeleteFinishedOptions,
  type InsertJobOptions,
  type InsertJobResult,
  type Job,
  type JobEvent,
  type JobStats,
  type JobStatus,
  type JobStore,
  type LeaseRef,
  type ListJobsQuery,
  type NewJobEvent,
} from 'jobkit';
import { isBusy, toJobkitError } from './errors.js';
import { applyMigrations, type MigrationResult } from './migrate.js';
import { openConnection } from './open.js';
import { resolveOptions, type SqliteJobStoreOptions } from './options.js';
import { eventToRow, jobToRow, rowToEvent, rowToJob, type JobRow } from './row.js';
import { casUpdateValues, insertEventValues, insertJobValues, prepareStatements, type Statements } from './statements.js';

export interface SqliteJobStore extends JobStore {
  /** The underlying better-sqlite3 connection (for backups, inspection, or sharing with other tables). */
  readonly db: Database.Database;
  /** What opening the store did to the schema. */
  readonly migration: MigrationResult;
}

function checkDate(value: unknown, field: string): number {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw invalidInput(field, 'must be a valid Date');
  return value.getTime();
}

function checkInt(value: unknown, field: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw invalidInput(field, `must be an integer ≥ ${min}`);
  return value;
}

function checkString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidInput(field, 'must be a non-empty string');
  return value;
}

// list(): one statement per combination of present filters, built from these fixed fragments only.
const LIST_FILTERS = [
  { key: 'status', sql: 'status = ?' },
  { key: 'sku', sql: 'sku = ?' },
  { key: 'theme', sql: 'theme = ?' },
] as const;

/**
 * Opens (creating and migrating when needed) a SQLite job store. Synchronous: the schema is ready when it
 * returns. Throws STORAGE_FAILED naming the file for a foreign, corrupt, newer or read-only database.
 */
export function createSqliteJobStore(options: SqliteJobStoreOptions): SqliteJobStore {
  const opts = resolveOptions(options);
  const { db, owned } = openConnection(opts);
  let migration: MigrationResult;
  let s: Statements;
  try {
    migration = applyMigrations(db, opts.label, opts.clock, opts.maxBusyRetries);
    s = prepareStatements(db);
  } catch (error) {
    if (owned) db.close();
    throw toJobkitError(error, opts.label, 'open');
  }
  const label = opts.label;
  let closed = false;

  /**
   * Runs one operation. SQLITE_BUSY can only escape busy_timeout under extreme contention; the whole
   * operation (a transaction that rolled back) is then retried with jittered backoff before giving up
   * with a retryable STORAGE_FAILED.
   */
  async function run<T>(operation: string, fn: () => T): Promise<T> {
    if (closed) throw new JobkitError('STORAGE_FAILED', `SQLite job store ${label} is closed`, { retryable: false });
    for (let attempt = 0; ; attempt++) {
      try {
        return fn();
      } catch (error) {
        if (isBusy(error) && attempt < opts.maxBusyRetries) {
          await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2)));
          continue;
        }
        throw toJobkitError(error, label, operation);
      }
    }
  }

  const insertTx = db.transaction((row: JobRow, event: ReturnType<typeof eventToRow>, limit: number | undefined): InsertJobResult => {
    // Re-read under the write lock: another connection may have inserted the identity meanwhile.
    const existing = s.getByIdentity.get(row.sku, row.sha256, row.theme);
    if (existing) return { job: rowToJob(existing), created: false };
    if (limit !== undefined && s.photoKnown.get(row.sku, row.sha256) === undefined) {
      const images = s.countImages.get(row.sku)!.n;
      if (images >= limit) {
        throw new JobkitError('IMAGE_LIMIT_REACHED', `SKU ${row.sku} already has ${limit} images`, { details: { sku: row.sku, limit } });
      }
    }
    try {
      s.insertJob.run(insertJobValues(row));
    } catch (error) {
      if (toJobkitError(error, label, 'insert').code === 'CONFLICT') {
        throw new JobkitError('CONFLICT', `job id ${row.id} exists`, { cause: error, details: { id: row.id } });
      }
      throw error;
    }
    s.insertEvent.run(insertEventValues(event));
    return { job: rowToJob(row), created: true };
  });

  const updateTx = db.transaction((row: JobRow, event: ReturnType<typeof eventToRow>): Job => {
    const stored = s.casUpdate.get(casUpdateValues(row));
    if (!stored) {
      const current = s.versionOf.get(row.id);
      if (!current) throw new JobkitError('NOT_FOUND', `job ${row.id} not found`, { details: { id: row.id } });
      throw new JobkitError('CONFLICT', `job ${row.id} was changed by someone else (version ${current.version}, expected ${row.version})`, {
        details: { id: row.id, expected: row.version, actual: current.version },
      });
    }
    s.insertEvent.run(insertEventValues(event));
    // Every other column was just written from `row`; identity and createdAt come from the store.
    return rowToJob({ ...row, ...stored });
  });

  // Select and lease under one write lock: no other connection can claim between the two statements.
  const claimTx = db.transaction((owner: string, now: number, expires: number, limit: number): Job[] =>
    s.selectDue.all({ now, limit }).map((id) => rowToJob(s.lease.get({ id, owner, expires })!)),
  );

  const deleteTx = db.transaction((before: number, forget: boolean, now: number): Job[] => {
    const p = { before, forget: forget ? 1 : 0 };
    const removed = s.finished.all(p).map(rowToJob);
    if (removed.length === 0) return removed;
    s.deleteFinishedEvents.run(p);
    if (forget) s.deleteFinishedJobs.run(p);
    else s.tombstoneFinished.run({ ...p, now });
    return removed;
  });

  const statsTx = db.transaction((now: Date): JobStats => {
    const byStatus: Partial<Record<JobStatus, number>> = {};
    let cost = 0;
    let durSum = 0;
    let durN = 0;
    let oldest: number | null = null;
    for (const r of s.stats.all()) {
      byStatus[r.status as JobStatus] = r.n;
      cost += r.cost;
      durSum += r.dur_sum;
      durN += r.dur_n;
      if (r.oldest_queued !== null) oldest = r.oldest_queued;
    }
    return statsFrom({
      byStatus,
      costUsdTotal: cost,
      costUsdToday: s.spendSince.get(utcMidnight(now).getTime())!.s,
      avgDurationMs: durN === 0 ? null : durSum / durN,
      oldestQueuedAt: oldest === null ? null : new Date(oldest).toISOString(),
    });
  });

  const listStatements = new Map<string, { page: Database.Statement<unknown[], JobRow>; count: Database.Statement<unknown[], { n: number }> }>();
  const listTx = db.transaction((q: ListJobsQuery): { jobs: Job[]; total: number } => {
    const where: string[] = q.includePurged ? [] : ['purged_at IS NULL'];
    const params: unknown[] = [];
    let key = q.includePurged ? 'P' : '-';
    for (const f of LIST_FILTERS) {
      const value = q[f.key];
      if (value === undefined || value === null || value === '') {
        key += '-';
        continue;
      }
      if (typeof value !== 'string') throw invalidInput(f.key, 'must be a string');
      where.push(f.sql);
      params.push(value);
      key += f.key[0];
    }
    let stmts = listStatements.get(key);
    if (!stmts) {
      const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
      stmts = {
        page: db.prepare<unknown[], JobRow>(`SELECT * FROM jobs ${clause} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`),
        count: db.prepare<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM jobs ${clause}`),
      };
      listStatements.set(key, stmts);
    }
    const jobs = stmts.page.all(...params, q.limit, q.offset).map(rowToJob);
    return { jobs, total: stmts.count.get(...params)!.n };
  });

  const store: SqliteJobStore = {
    db,
    migration,

    insertOrGet(job: Job, event: NewJobEvent, insertOpts: InsertJobOptions = {}): Promise<InsertJobResult> {
      return run('insertOrGet', () => {
        const row = jobToRow(job);
        const ev = eventToRow(event);
        const limit = insertOpts.maxImagesPerSku === undefined ? undefined : checkInt(insertOpts.maxImagesPerSku, 'maxImagesPerSku', 0);
        // Fast path without the write lock: identities are only ever removed by forgetIdentities cleanup,
        // so a hit is a correct answer (a duplicate) at the time of this read.
        const existing = s.getByIdentity.get(row.sku, row.sha256, row.theme);
        if (existing) return { job: rowToJob(existing), created: false };
        return insertTx.immediate(row, ev, limit);
      });
    },

    get(id: string): Promise<Job | null> {
      return run('get', () => {
        const row = s.getById.get(id);
        return row ? rowToJob(row) : null;
      });
    },

    list(query: ListJobsQuery): Promise<{ jobs: Job[]; total: number }> {
      return run('list', () => {
        checkInt(query.limit, 'limit', 0);
        checkInt(query.offset, 'offset', 0);
        return listTx.deferred(query);
      });
    },

    update(job: Job, event: NewJobEvent): Promise<Job> {
      return run('update', () => {
        const row = jobToRow(job);
        return updateTx.immediate(row, eventToRow(event));
      });
    },

    claimDue(claim: ClaimOptions): Promise<Job[]> {
      return run('claimDue', () => {
        const owner = checkString(claim.owner, 'owner');
        const now = checkDate(claim.now, 'now');
        const leaseMs = checkInt(claim.leaseMs, 'leaseMs', 1);
        const limit = checkInt(claim.limit, 'limit', 0);
        if (limit === 0) return [];
        return claimTx.immediate(owner, now, now + leaseMs, limit);
      });
    },

    renewLease(ref: LeaseRef, now: Date, leaseMs: number): Promise<Job> {
      return run('renewLease', () => {
        const at = checkDate(now, 'now');
        const ms = checkInt(leaseMs, 'leaseMs', 1);
        const row = s.renew.get({ id: ref.id, owner: ref.owner, version: ref.version, expires: at + ms });
        if (!row) {
          throw new JobkitError('CONFLICT', `lease on job ${ref.id} is no longer held by ${ref.owner}`, {
            details: { id: ref.id, owner: ref.owner, version: ref.version },
          });
        }
        return rowToJob(row);
      });
    },

    releaseLease(ref: LeaseRef): Promise<boolean> {
      return run('releaseLease', () => s.release.run({ id: ref.id, owner: ref.owner, version: ref.version }).changes > 0);
    },

    stats(now: Date): Promise<JobStats> {
      return run('stats', () => {
        checkDate(now, 'now');
        return statsTx.deferred(now);
      });
    },

    spendSince(since: Date): Promise<number> {
      return run('spendSince', () => roundUsd(s.spendSince.get(checkDate(since, 'since'))!.s));
    },

    countImagesForSku(sku: string): Promise<number> {
      return run('countImagesForSku', () => s.countImages.get(sku)!.n);
    },

    deleteFinished(del: DeleteFinishedOptions): Promise<Job[]> {
      return run('deleteFinished', () => deleteTx.immediate(checkDate(del.before, 'before'), del.forgetIdentities === true, checkDate(del.now, 'now')));
    },

    listEvents(jobId: string): Promise<JobEvent[]> {
      return run('listEvents', () => s.listEvents.all(jobId).map(rowToEvent));
    },

    ping(): Promise<void> {
      return run('ping', () => {
        s.ping.get();
      });
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (!owned) return;
      try {
        // Refreshes planner statistics where they are stale (cheap; recommended by SQLite before closing).
        db.pragma('optimize');
      } catch {
        // Best effort: a failure here must not keep the connection open.
      }
      db.close();
    },
  };
  return store;
}
