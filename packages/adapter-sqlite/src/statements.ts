/**
 * Every SQL statement of the store, prepared once per connection. All values are bound parameters; the
 * only SQL assembled at run time is list()'s WHERE clause, from fixed fragments chosen by which filters
 * are present (never from input text).
 */
import type Database from 'better-sqlite3';
import type { EventRow, JobRow } from './row.js';

// Constant lists, not input: the step statuses a worker may claim, and the finished ones.
const STEP_STATUSES_SQL = "('QUEUED','SEGMENTING','BG_GENERATING','COMPOSITING','SHOPIFY_PUSH')";
const FINISHED_SQL = "status IN ('DONE','FAILED') AND completed_at IS NOT NULL AND completed_at < @before AND (purged_at IS NULL OR @forget = 1)";

/**
 * The due jobs, oldest first: the claim reads these ids and leases each one inside one BEGIN IMMEDIATE
 * transaction (cheaper than a single UPDATE … WHERE id IN (subquery), which buffers the ids and the
 * RETURNING rows, and the rows come back in due order). INDEXED BY pins the partial due-order index:
 * without statistics the planner prefers an equality lookup on status and then sorts every queued job
 * on each claim (quadratic over a backlog).
 */
export const SELECT_DUE_SQL = `SELECT id FROM jobs INDEXED BY jobs_claim
WHERE status IN ${STEP_STATUSES_SQL} AND driver = 'worker' AND purged_at IS NULL
  AND (next_run_at IS NULL OR next_run_at <= @now)
  AND (lease_expires_at IS NULL OR lease_expires_at <= @now)
ORDER BY coalesce(next_run_at, created_at), created_at, id
LIMIT @limit`;

const JOB_COLUMNS = [
  'id',
  'sku',
  'image_url',
  'sha256',
  'theme',
  'status',
  'driver',
  'attempts',
  'max_attempts',
  'next_run_at',
  'lease_owner',
  'lease_expires_at',
  'failed_status',
  'provider_ref',
  'original_key',
  'mask_key',
  'background_keys',
  'composite_keys',
  'thumbnail_keys',
  'derivative_keys',
  'storefront_media_ids',
  'quality',
  'segment_with',
  'cost_usd',
  'error_code',
  'error_message',
  'error_stack',
  'created_at',
  'updated_at',
  'started_at',
  'completed_at',
  'purged_at',
  'version',
] as const;
/** What a CAS update writes: everything except identity, id, image_url, created_at and version. */
const MUTABLE_COLUMNS = JOB_COLUMNS.filter((c) => !['id', 'sku', 'sha256', 'theme', 'image_url', 'created_at', 'version'].includes(c));
const EVENT_COLUMNS = ['job_id', 'at', 'from_status', 'to_status', 'attempt', 'error_code', 'message', 'cost_usd'] as const;

// The hot writes bind positionally (measurably cheaper than 31 named lookups per call); these helpers
// produce the values in exactly the column order the SQL below was generated from.
export const insertJobValues = (row: JobRow): unknown[] => JOB_COLUMNS.map((c) => row[c]);
export const casUpdateValues = (row: JobRow): unknown[] => [...MUTABLE_COLUMNS.map((c) => row[c]), row.id, row.version];
export const insertEventValues = (row: Omit<EventRow, 'id'>): unknown[] => EVENT_COLUMNS.map((c) => row[c]);

/** What a CAS update reads back: the columns it does not write, and the new version. */
export type CasStored = Pick<JobRow, 'sku' | 'sha256' | 'theme' | 'image_url' | 'created_at' | 'version'>;

export interface StatsRow {
  status: string;
  n: number;
  cost: number;
  dur_sum: number;
  dur_n: number;
  oldest_queued: number | null;
}

type Stmt<P extends unknown[], R = unknown> = Database.Statement<P, R>;
type Range = { before: number; forget: number };

export interface Statements {
  getById: Stmt<[string], JobRow>;
  versionOf: Stmt<[string], { version: number }>;
  getByIdentity: Stmt<[string, string, string], JobRow>;
  photoKnown: Stmt<[string, string], { k: number }>;
  countImages: Stmt<[string], { n: number }>;
  insertJob: Stmt<unknown[]>;
  insertEvent: Stmt<unknown[]>;
  casUpdate: Stmt<unknown[], CasStored>;
  selectDue: Stmt<[{ now: number; limit: number }], string>;
  lease: Stmt<[{ id: string; owner: string; expires: number }], JobRow>;
  renew: Stmt<[{ id: string; owner: string; version: number; expires: number }], JobRow>;
  release: Stmt<[{ id: string; owner: string; version: number }]>;
  stats: Stmt<[], StatsRow>;
  spendSince: Stmt<[number], { s: number }>;
  finished: Stmt<[Range], JobRow>;
  deleteFinishedEvents: Stmt<[Range]>;
  deleteFinishedJobs: Stmt<[Range]>;
  tombstoneFinished: Stmt<[Range & { now: number }]>;
  listEvents: Stmt<[string], EventRow>;
  ping: Stmt<[], { ok: number }>;
}

export function prepareStatements(db: Database.Database): Statements {
  return {
    getById: db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?'),
    versionOf: db.prepare<[string], { version: number }>('SELECT version FROM jobs WHERE id = ?'),
    getByIdentity: db.prepare<[string, string, string], JobRow>('SELECT * FROM jobs WHERE sku = ? AND sha256 = ? AND theme = ?'),
    photoKnown: db.prepare<[string, string], { k: number }>("SELECT 1 AS k FROM jobs WHERE sku = ? AND sha256 = ? AND status <> 'FAILED' LIMIT 1"),
    countImages: db.prepare<[string], { n: number }>("SELECT COUNT(DISTINCT sha256) AS n FROM jobs WHERE sku = ? AND status <> 'FAILED'"),
    insertJob: db.prepare<unknown[]>(`INSERT INTO jobs (${JOB_COLUMNS.join(', ')}) VALUES (${JOB_COLUMNS.map(() => '?').join(', ')})`),
    insertEvent: db.prepare<unknown[]>(`INSERT INTO job_events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')})`),
    casUpdate: db.prepare<unknown[], JobRow>(
      `UPDATE jobs SET ${MUTABLE_COLUMNS.map((c) => `${c} = ?`).join(', ')}, version = version + 1 WHERE id = ? AND version = ?
       RETURNING sku, sha256, theme, image_url, created_at, version`,
    ),
    selectDue: db.prepare<[{ now: number; limit: number }], string>(SELECT_DUE_SQL).pluck(),
    lease: db.prepare<[{ id: string; owner: string; expires: number }], JobRow>(
      'UPDATE jobs SET lease_owner = @owner, lease_expires_at = @expires, version = version + 1 WHERE id = @id RETURNING *',
    ),
    renew: db.prepare<[{ id: string; owner: string; version: number; expires: number }], JobRow>(
      'UPDATE jobs SET lease_expires_at = @expires, version = version + 1 WHERE id = @id AND lease_owner = @owner AND version = @version RETURNING *',
    ),
    release: db.prepare<[{ id: string; owner: string; version: number }]>(
      'UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL, version = version + 1 WHERE id = @id AND lease_owner = @owner AND version = @version',
    ),
    stats: db.prepare<[], StatsRow>(
      `SELECT status, COUNT(*) AS n, TOTAL(cost_usd) AS cost,
              TOTAL(CASE WHEN status = 'DONE' AND completed_at IS NOT NULL THEN completed_at - created_at END) AS dur_sum,
              COUNT(CASE WHEN status = 'DONE' AND completed_at IS NOT NULL THEN 1 END) AS dur_n,
              MIN(CASE WHEN status = 'QUEUED' THEN created_at END) AS oldest_queued
       FROM jobs WHERE purged_at IS NULL GROUP BY status`,
    ),
    // `cost_usd <> 0` changes no sum and lets SQLite use the partial index job_events_spend.
    spendSince: db.prepare<[number], { s: number }>('SELECT TOTAL(cost_usd) AS s FROM job_events WHERE at >= ? AND cost_usd <> 0'),
    finished: db.prepare<[{ before: number; forget: number }], JobRow>(`SELECT * FROM jobs WHERE ${FINISHED_SQL} ORDER BY completed_at, id`),
    deleteFinishedEvents: db.prepare<[{ before: number; forget: number }]>(
      `DELETE FROM job_events WHERE job_id IN (SELECT id FROM jobs WHERE ${FINISHED_SQL})`,
    ),
    deleteFinishedJobs: db.prepare<[{ before: number; forget: number }]>(`DELETE FROM jobs WHERE ${FINISHED_SQL}`),
    tombstoneFinished: db.prepare<[{ before: number; forget: number; now: number }]>(
      `UPDATE jobs SET purged_at = @now, original_key = NULL, mask_key = NULL, background_keys = '[]', composite_keys = '[]',
              thumbnail_keys = '[]', derivative_keys = '[]', error_stack = NULL, version = version + 1
       WHERE ${FINISHED_SQL}`,
    ),
    listEvents: db.prepare<[string], EventRow>('SELECT * FROM job_events WHERE job_id = ? ORDER BY id'),
    ping: db.prepare<[], { ok: number }>('SELECT 1 AS ok'),
  };
}
