import { createHash } from 'node:crypto';
import type pg from 'pg';
import {
  roundUsd,
  statsFrom,
  utcMidnight,
  JobkitError,
  invalidInput,
  silentLogger,
  type ClaimOptions,
  type DeleteFinishedOptions,
  type InsertJobOptions,
  type InsertJobResult,
  type Job,
  type JobEvent,
  type JobStatus,
  type JobStore,
  type LeaseRef,
  type ListJobsQuery,
  type Logger,
  type NewJobEvent,
} from 'jobkit';
import { openPool, withTransaction, type ConnectionOptions } from './connection.js';
import { toJobkitError } from './errors.js';
import { NotificationListener, type JobAvailableListener } from './listener.js';
import { assertSchemaVersion, migrateWithPool } from './migrate.js';
import { MIGRATIONS } from './migrations/index.js';
import { eventParams, iso, jobParams, rowToEvent, rowToJob, updateParams, type EventRow, type JobRow } from './rows.js';
import { channelFor, DEFAULT_SCHEMA, quoteIdent, validateSchemaName } from './schema-name.js';
import { buildStatements, MUTABLE_COLUMNS } from './statements.js';

/** First key of the per-SKU advisory lock taken while checking the image limit ("jk" + 2). */
export const SKU_LOCK_NAMESPACE = 0x6a6b0002;

export interface PostgresJobStoreOptions extends ConnectionOptions {
  /** Schema holding the tables; `^[a-z_][a-z0-9_]{0,39}$`. Default `jobkit`. */
  schema?: string | undefined;
  /** Run pending migrations on creation (default true). With false the schema must already be current. */
  migrate?: boolean | undefined;
  /** NOTIFY listeners when a job becomes claimable (default true). */
  notify?: boolean | undefined;
  /**
   * Use named prepared statements (parsed and planned once per connection; default true). Turn off behind
   * a transaction-mode pooler that cannot keep them (PgBouncer < 1.21).
   */
  prepare?: boolean | undefined;
  logger?: Logger | undefined;
}

export interface PostgresJobStore extends JobStore {
  readonly schema: string;
  /** The pool the store queries through. */
  readonly pool: pg.Pool;
  /**
   * Calls `cb` when a worker-driven job becomes claimable (inserted or updated as QUEUED/step status without
   * a lease, or its lease released) — from any process using the same database and schema. Opens one
   * dedicated LISTEN connection on first use. Returns an unsubscribe function.
   */
  onJobAvailable(cb: JobAvailableListener): () => void;
  /** Resolves once the LISTEN connection is active (after the first onJobAvailable). */
  whenListening(): Promise<void>;
}

/**
 * A JobStore on PostgreSQL for many API and worker processes sharing one database. Every guarantee comes
 * from the database: a unique index on (sku, sha256, theme), single-statement compare-and-set updates with
 * their event, `FOR UPDATE SKIP LOCKED` claims, and a per-SKU advisory lock for the image limit.
 */
export async function createPostgresJobStore(opts: PostgresJobStoreOptions): Promise<PostgresJobStore> {
  if (typeof opts !== 'object' || opts === null) throw invalidInput('options', 'must be an object');
  const schema = validateSchemaName(opts.schema ?? DEFAULT_SCHEMA);
  const logger = opts.logger ?? silentLogger;
  const conn = openPool(opts, logger);
  try {
    if (opts.migrate ?? true) await migrateWithPool(conn.pool, schema, MIGRATIONS, logger);
    else await assertSchemaVersion(conn.pool, schema);
  } catch (err) {
    await conn.dispose().catch(() => undefined);
    throw err;
  }
  return buildStore(conn, schema, { notify: opts.notify ?? true, prepare: opts.prepare ?? true }, logger);
}

function buildStore(conn: ReturnType<typeof openPool>, schema: string, flags: { notify: boolean; prepare: boolean }, logger: Logger): PostgresJobStore {
  const { pool } = conn;
  const sql = buildStatements(quoteIdent(schema));
  const channel = channelFor(schema);
  const channelParam = flags.notify ? channel : null;
  const listener = new NotificationListener(pool.options, channel, logger);
  let closed = false;

  /** Runs `fn`, mapping every failure to a JobkitError (connection loss → retryable STORAGE_FAILED). */
  const op = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    if (closed) throw new JobkitError('STORAGE_FAILED', `postgres job store is closed (${name})`, { retryable: false });
    try {
      return await fn();
    } catch (err) {
      throw toJobkitError(err, name);
    }
  };
  const query = <R extends pg.QueryResultRow>(text: string, params: unknown[] = [], client: pg.ClientBase | pg.Pool = pool): Promise<pg.QueryResult<R>> =>
    client.query<R>(flags.prepare ? { name: statementName(text), text, values: params } : { text, values: params });
  const byIdentity = async (job: Pick<Job, 'sku' | 'sha256' | 'theme'>, client: pg.ClientBase | pg.Pool = pool): Promise<Job | null> => {
    const r = await query<JobRow>(sql.getByIdentity, [job.sku, job.sha256, job.theme], client);
    return r.rows[0] ? rowToJob(r.rows[0]) : null;
  };

  return {
    schema,
    pool,

    insertOrGet: (job: Job, event: NewJobEvent, opts: InsertJobOptions = {}): Promise<InsertJobResult> =>
      op('insertOrGet', async () => {
        const limit = opts.maxImagesPerSku;
        if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw invalidInput('maxImagesPerSku', 'must be an integer ≥ 0');
        const params = [...jobParams(job), ...eventParams(event), channelParam];
        let inserted: JobRow | undefined;
        if (limit === undefined) {
          const row = (await query<JobRow & { created: boolean }>(sql.insertOrExisting, params)).rows[0];
          if (row && !row.created) return { job: rowToJob(row), created: false };
          inserted = row;
        } else {
          const existing = await byIdentity(job);
          if (existing) return { job: existing, created: false };
          const result = await withTransaction(pool, async (client) => {
            // Serialises limit checks for this SKU until commit; the count below then sees every committed photo.
            await query(sql.lockSku, [SKU_LOCK_NAMESPACE, job.sku], client);
            const check = (await query<{ images: number; known: boolean }>(sql.imageCheck, [job.sku, job.sha256], client)).rows[0]!;
            if (!check.known && check.images >= limit) {
              const dup = await byIdentity(job, client);
              if (dup) return { dup };
              throw new JobkitError('IMAGE_LIMIT_REACHED', `SKU ${job.sku} already has ${limit} images`, { details: { sku: job.sku, limit } });
            }
            return { row: (await query<JobRow>(sql.insert, params, client)).rows[0] };
          });
          if ('dup' in result && result.dup) return { job: result.dup, created: false };
          inserted = 'row' in result ? result.row : undefined;
        }
        if (inserted) return { job: rowToJob(inserted), created: true };
        // Lost the race to a concurrent insert of the same identity: ON CONFLICT waited for its commit.
        const winner = await byIdentity(job);
        if (winner) return { job: winner, created: false };
        throw new JobkitError('CONFLICT', `job identity ${job.sku}/${job.sha256}/${job.theme} changed concurrently; retry`);
      }),

    get: (id: string) =>
      op('get', async () => {
        const r = await query<JobRow>(sql.getById, [id]);
        return r.rows[0] ? rowToJob(r.rows[0]) : null;
      }),

    list: (q: ListJobsQuery) =>
      op('list', async () => {
        if (!Number.isInteger(q.limit) || q.limit < 0) throw invalidInput('limit', 'must be an integer ≥ 0');
        if (!Number.isInteger(q.offset) || q.offset < 0) throw invalidInput('offset', 'must be an integer ≥ 0');
        const where: string[] = [];
        const params: unknown[] = [];
        const add = (column: 'status' | 'sku' | 'theme', value: string | undefined): void => {
          if (value === undefined) return;
          params.push(value);
          where.push(`${column} = $${params.length}`);
        };
        add('status', q.status);
        add('sku', q.sku);
        add('theme', q.theme);
        if (!q.includePurged) where.push('purged_at IS NULL');
        const filter = where.length ? ` WHERE ${where.join(' AND ')}` : '';
        const [count, page] = await Promise.all([
          query<{ total: number }>(`SELECT count(*)::integer AS total ${sql.listBase}${filter}`, params),
          query<JobRow>(
            `SELECT ${sql.jobColumns} ${sql.listBase}${filter} ORDER BY created_at DESC, id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
            [...params, q.limit, q.offset],
          ),
        ]);
        return { jobs: page.rows.map(rowToJob), total: count.rows[0]?.total ?? 0 };
      }),

    update: (job: Job, event: NewJobEvent) =>
      op('update', async () => {
        const r = await query<JobRow>(sql.update, [...updateParams(job, MUTABLE_COLUMNS), ...eventParams(event), channelParam]);
        if (r.rows[0]) return rowToJob(r.rows[0]);
        const current = await query<{ version: string }>(sql.exists, [job.id]);
        if (!current.rows[0]) throw new JobkitError('NOT_FOUND', `job ${job.id} not found`);
        throw new JobkitError('CONFLICT', `job ${job.id} was changed by someone else (version ${current.rows[0].version}, expected ${job.version})`, {
          details: { id: job.id, expected: job.version, actual: Number(current.rows[0].version) },
        });
      }),

    claimDue: (o: ClaimOptions) =>
      op('claimDue', async () => {
        if (typeof o.owner !== 'string' || o.owner.length === 0) throw invalidInput('owner', 'must be a non-empty string');
        if (!(o.now instanceof Date) || Number.isNaN(o.now.getTime())) throw invalidInput('now', 'must be a valid Date');
        if (!Number.isInteger(o.limit) || o.limit < 0) throw invalidInput('limit', 'must be an integer ≥ 0');
        if (!Number.isFinite(o.leaseMs) || o.leaseMs <= 0) throw invalidInput('leaseMs', 'must be a positive number of ms');
        if (o.limit === 0) return [];
        const now = o.now.getTime();
        const r = await query<JobRow>(sql.claim, [iso(o.now), o.limit, o.owner, new Date(now + o.leaseMs).toISOString()]);
        // RETURNING has no order: restore "oldest due first".
        const key = (j: Job): string => j.nextRunAt ?? j.createdAt;
        return r.rows.map(rowToJob).sort((a, b) => (key(a) === key(b) ? (a.id < b.id ? -1 : 1) : key(a) < key(b) ? -1 : 1));
      }),

    renewLease: (ref: LeaseRef, now: Date, leaseMs: number) =>
      op('renewLease', async () => {
        const r = await query<JobRow>(sql.renew, [ref.id, ref.owner, ref.version, new Date(now.getTime() + leaseMs).toISOString()]);
        if (!r.rows[0]) throw new JobkitError('CONFLICT', `lease on job ${ref.id} is no longer held by ${ref.owner} at version ${ref.version}`);
        return rowToJob(r.rows[0]);
      }),

    releaseLease: (ref: LeaseRef) =>
      op('releaseLease', async () => {
        const r = await query(sql.release, [ref.id, ref.owner, ref.version, channelParam]);
        return r.rowCount === 1;
      }),

    stats: (now: Date) =>
      op('stats', async () => {
        const r = await query<{
          by_status: Record<string, number>;
          cost_total: string;
          cost_today: string;
          avg_duration_ms: string | null;
          oldest_queued: Date | string | null;
        }>(sql.stats, [utcMidnight(now).toISOString()]);
        const row = r.rows[0]!;
        return statsFrom({
          byStatus: row.by_status as Partial<Record<JobStatus, number>>,
          costUsdTotal: Number(row.cost_total),
          costUsdToday: Number(row.cost_today),
          avgDurationMs: row.avg_duration_ms === null ? null : Number(row.avg_duration_ms),
          oldestQueuedAt: row.oldest_queued === null ? null : iso(row.oldest_queued),
        });
      }),

    spendSince: (since: Date) =>
      op('spendSince', async () => {
        const r = await query<{ spend: string }>(sql.spendSince, [iso(since)]);
        return roundUsd(Number(r.rows[0]?.spend ?? 0));
      }),

    countImagesForSku: (sku: string) =>
      op('countImagesForSku', async () => {
        const r = await query<{ images: number }>(sql.countImages, [sku]);
        return r.rows[0]?.images ?? 0;
      }),

    deleteFinished: (o: DeleteFinishedOptions) =>
      op('deleteFinished', async () => {
        const r = o.forgetIdentities
          ? await query<JobRow>(sql.forgetFinished, [iso(o.before)])
          : await query<JobRow>(sql.purgeFinished, [iso(o.before), iso(o.now)]);
        return r.rows.map(rowToJob);
      }),

    listEvents: (jobId: string) =>
      op('listEvents', async (): Promise<JobEvent[]> => {
        const r = await query<EventRow>(sql.listEvents, [jobId]);
        return r.rows.map(rowToEvent);
      }),

    ping: () =>
      op('ping', async () => {
        await query(sql.ping);
      }),

    onJobAvailable(cb: JobAvailableListener): () => void {
      if (typeof cb !== 'function') throw invalidInput('cb', 'must be a function');
      if (closed) throw new JobkitError('STORAGE_FAILED', 'postgres job store is closed', { retryable: false });
      return listener.subscribe(cb);
    },

    whenListening: () => listener.whenListening(),

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await listener.close();
      await conn.dispose();
    },
  };
}

/** Prepared-statement name derived from the text: equal texts share a name, different ones never clash. */
const names = new Map<string, string>();
function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `jobkit_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    names.set(text, name);
  }
  return name;
}

/** USD amounts are kept to 1e-6, like the core's stats. */
