/**
 * Every SQL statement the store runs, built once per store from the validated, quoted schema name. All
 * values are bind parameters; the schema name is the only interpolated identifier.
 */
import { JOB_COLUMNS, JOB_COLUMN_TYPES } from './rows.js';

const STEP_STATUSES = `('QUEUED', 'SEGMENTING', 'BG_GENERATING', 'COMPOSITING', 'SHOPIFY_PUSH')`;

/** Mutable columns written by a compare-and-set update (identity, id, image_url, created_at never change). */
export const MUTABLE_COLUMNS = JOB_COLUMNS.filter((c) => !['id', 'sku', 'sha256', 'theme', 'image_url', 'created_at', 'version'].includes(c));

const EVENT_INSERT_COLUMNS = 'job_id, at, from_status, to_status, attempt, error_code, message, cost_usd';

/** `$n::type` placeholders for the 8 event params starting at `first`. */
function eventValues(first: number): string {
  const types = ['text', 'timestamptz', 'text', 'text', 'integer', 'text', 'text', 'numeric'];
  return types.map((t, i) => `$${first + i}::${t}`).join(', ');
}

/**
 * A job row is "available" when a worker could claim it now or later without anyone releasing it: the
 * NOTIFY condition. Kept next to the claim predicate so the two stay in step.
 */
const AVAILABLE = (alias: string): string =>
  `${alias}.driver = 'worker' AND ${alias}.status IN ${STEP_STATUSES} AND ${alias}.lease_owner IS NULL AND ${alias}.purged_at IS NULL`;

/** NOTIFY payload: `{id}` or `{id} {nextRunAt ISO}` — cheap to parse, well under the 8000-byte limit. */
const NOTIFY = (alias: string, channelParam: string): string =>
  `CASE WHEN ${channelParam} IS NOT NULL AND ${AVAILABLE(alias)} THEN pg_notify(${channelParam}, ${alias}.id || coalesce(' ' || to_char(${alias}.next_run_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), '')) END`;

/** Explicit column lists (never `*`): a later migration adding a column cannot change a prepared statement's result type. */
const JOB_SELECT = JOB_COLUMNS.join(', ');
const jobSelect = (alias: string): string => JOB_COLUMNS.map((c) => `${alias}.${c}`).join(', ');
const EVENT_SELECT = `id, ${EVENT_INSERT_COLUMNS}`;

export function buildStatements(s: string) {
  const jobs = `${s}.jobs`;
  const events = `${s}.job_events`;
  const n = JOB_COLUMNS.length; // JOB_COLUMNS.length job params, then 8 event params, then the channel
  const col = (c: (typeof JOB_COLUMNS)[number]): number => JOB_COLUMNS.indexOf(c) + 1;
  const insertValues = JOB_COLUMNS.map((c, i) => `$${i + 1}::${JOB_COLUMN_TYPES[c]}`).join(', ');
  // Update params: id, version, then MUTABLE_COLUMNS in order, then the event, then the channel.
  const m = MUTABLE_COLUMNS.length;
  const setClause = MUTABLE_COLUMNS.map((c, i) => `${c} = $${i + 3}::${JOB_COLUMN_TYPES[c]}`).join(', ');
  const notifyAndReturn = (cte: string, channel: string) => `SELECT ${jobSelect(cte)}, (${NOTIFY(cte, channel)})::text AS notified FROM ${cte}`;

  return {
    getById: `SELECT ${JOB_SELECT} FROM ${jobs} WHERE id = $1`,
    getByIdentity: `SELECT ${JOB_SELECT} FROM ${jobs} WHERE sku = $1 AND sha256 = $2 AND theme = $3`,

    /** Insert job + creation event in one statement; nothing when the identity exists. Params: job, event, channel. */
    insert: `WITH ins AS (
        INSERT INTO ${jobs} (${JOB_COLUMNS.join(', ')}) VALUES (${insertValues})
        ON CONFLICT (sku, sha256, theme) DO NOTHING
        RETURNING ${JOB_SELECT}
      ), ev AS (
        INSERT INTO ${events} (${EVENT_INSERT_COLUMNS}) SELECT ${eventValues(n + 1)} FROM ins
      )
      ${notifyAndReturn('ins', `$${n + 9}::text`)}`,

    /**
     * insert, or else the existing row when it was committed before this statement began (one round trip
     * for new and duplicate jobs). No row at all means the conflicting insert was still in flight: fetch it.
     * Params: as insert. Rows carry `created`.
     */
    insertOrExisting: `WITH ins AS (
        INSERT INTO ${jobs} (${JOB_COLUMNS.join(', ')}) VALUES (${insertValues})
        ON CONFLICT (sku, sha256, theme) DO NOTHING
        RETURNING ${JOB_SELECT}
      ), ev AS (
        INSERT INTO ${events} (${EVENT_INSERT_COLUMNS}) SELECT ${eventValues(n + 1)} FROM ins
      )
      SELECT true AS created, ${jobSelect('ins')}, (${NOTIFY('ins', `$${n + 9}::text`)})::text AS notified FROM ins
      UNION ALL
      SELECT false, ${JOB_SELECT}, NULL FROM ${jobs}
      WHERE sku = $${col('sku')}::text AND sha256 = $${col('sha256')}::text AND theme = $${col('theme')}::text AND NOT EXISTS (SELECT 1 FROM ins)`,

    /** Serialises limit checks per SKU until commit. Params: namespace, sku. */
    lockSku: `SELECT pg_advisory_xact_lock($1, hashtext($2))`,
    countImages: `SELECT count(DISTINCT sha256)::integer AS images FROM ${jobs} WHERE sku = $1 AND status <> 'FAILED'`,
    /** Images of the SKU and whether this photo is already one of them. Params: sku, sha256. */
    imageCheck: `SELECT count(DISTINCT sha256)::integer AS images, coalesce(bool_or(sha256 = $2), false) AS known
      FROM ${jobs} WHERE sku = $1 AND status <> 'FAILED'`,

    /** Compare-and-set + event in one statement. Params: updateParams(job), event, channel. */
    update: `WITH upd AS (
        UPDATE ${jobs} SET ${setClause}, version = version + 1
        WHERE id = $1::text AND version = $2::bigint
        RETURNING ${JOB_SELECT}
      ), ev AS (
        INSERT INTO ${events} (${EVENT_INSERT_COLUMNS}) SELECT ${eventValues(m + 3)} FROM upd
      )
      ${notifyAndReturn('upd', `$${m + 11}::text`)}`,
    exists: `SELECT version FROM ${jobs} WHERE id = $1`,

    /**
     * One statement: lock due candidates (skipping rows other claimers hold), lease them, return them.
     * Params: now, limit, owner, leaseExpiresAt.
     */
    claim: `WITH due AS (
        SELECT id FROM ${jobs}
        WHERE driver = 'worker' AND status IN ${STEP_STATUSES} AND purged_at IS NULL
          AND (next_run_at IS NULL OR next_run_at <= $1::timestamptz)
          AND (lease_expires_at IS NULL OR lease_expires_at <= $1::timestamptz)
        ORDER BY coalesce(next_run_at, created_at), id
        LIMIT $2::integer
        FOR UPDATE SKIP LOCKED
      )
      UPDATE ${jobs} j SET lease_owner = $3::text, lease_expires_at = $4::timestamptz, version = j.version + 1
      FROM due WHERE j.id = due.id
      RETURNING ${jobSelect('j')}`,

    /** Params: id, owner, version, leaseExpiresAt. */
    renew: `UPDATE ${jobs} SET lease_expires_at = $4::timestamptz, version = version + 1
      WHERE id = $1 AND lease_owner = $2 AND version = $3::bigint RETURNING ${JOB_SELECT}`,

    /** Params: id, owner, version, channel. */
    release: `WITH rel AS (
        UPDATE ${jobs} SET lease_owner = NULL, lease_expires_at = NULL, version = version + 1
        WHERE id = $1 AND lease_owner = $2 AND version = $3::bigint RETURNING ${JOB_SELECT}
      )
      ${notifyAndReturn('rel', '$4::text')}`,

    /** Params: midnight. */
    stats: `SELECT
        (SELECT coalesce(json_object_agg(status, n), '{}'::json) FROM (SELECT status, count(*)::integer AS n FROM ${jobs} WHERE purged_at IS NULL GROUP BY status) c) AS by_status,
        (SELECT coalesce(sum(cost_usd), 0)::text FROM ${jobs} WHERE purged_at IS NULL) AS cost_total,
        (SELECT coalesce(sum(cost_usd), 0)::text FROM ${events} WHERE at >= $1::timestamptz AND cost_usd <> 0) AS cost_today,
        (SELECT (sum(extract(epoch FROM completed_at) - extract(epoch FROM created_at)) * 1000 / count(*))::text
           FROM ${jobs} WHERE purged_at IS NULL AND status = 'DONE' AND completed_at IS NOT NULL) AS avg_duration_ms,
        (SELECT min(created_at) FROM ${jobs} WHERE purged_at IS NULL AND status = 'QUEUED') AS oldest_queued`,
    spendSince: `SELECT coalesce(sum(cost_usd), 0)::text AS spend FROM ${events} WHERE at >= $1::timestamptz AND cost_usd <> 0`,

    /**
     * Locks the finished jobs to remove (skipping tombstones unless forgetting), drops their events and
     * either deletes them or turns them into tombstones; returns the rows as they were. Params: before, purgedAt.
     */
    purgeFinished: `WITH victims AS (
        SELECT ${JOB_SELECT} FROM ${jobs}
        WHERE status IN ('DONE', 'FAILED') AND completed_at IS NOT NULL AND completed_at < $1::timestamptz AND purged_at IS NULL
        FOR UPDATE
      ), ev AS (
        DELETE FROM ${events} e USING victims v WHERE e.job_id = v.id
      ), tomb AS (
        UPDATE ${jobs} j SET purged_at = $2::timestamptz, original_key = NULL, mask_key = NULL, background_keys = '[]',
          composite_keys = '[]', thumbnail_keys = '[]', derivative_keys = '[]', error_stack = NULL, version = j.version + 1
        FROM victims v WHERE j.id = v.id
      )
      SELECT ${JOB_SELECT} FROM victims`,
    /** Params: before. Events go with the rows (ON DELETE CASCADE). */
    forgetFinished: `DELETE FROM ${jobs}
      WHERE status IN ('DONE', 'FAILED') AND completed_at IS NOT NULL AND completed_at < $1::timestamptz
      RETURNING ${JOB_SELECT}`,

    listEvents: `SELECT ${EVENT_SELECT} FROM ${events} WHERE job_id = $1 ORDER BY id`,
    ping: 'SELECT 1',

    jobColumns: JOB_SELECT,
    listBase: `FROM ${jobs}`,
  };
}
