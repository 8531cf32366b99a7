import type { Migration } from './types.js';

/**
 * The first schema. Timestamps are INTEGER epoch milliseconds (exact round-trip of the ISO strings in the
 * Job type); key arrays are JSON text; columns are snake_case. STRICT tables make SQLite reject a value of
 * the wrong type instead of silently storing it.
 */
export const migration0001: Migration = {
  version: 1,
  name: 'initial',
  sql: `
CREATE TABLE jobs (
  id                   TEXT    NOT NULL PRIMARY KEY,
  sku                  TEXT    NOT NULL,
  image_url            TEXT,
  sha256               TEXT    NOT NULL,
  theme                TEXT    NOT NULL,
  status               TEXT    NOT NULL CHECK (status IN ('NEW','QUEUED','SEGMENTING','BG_GENERATING','COMPOSITING','SHOPIFY_PUSH','DONE','FAILED')),
  driver               TEXT    CHECK (driver IN ('worker','external')),
  attempts             INTEGER NOT NULL,
  max_attempts         INTEGER NOT NULL,
  next_run_at          INTEGER,
  lease_owner          TEXT,
  lease_expires_at     INTEGER,
  failed_status        TEXT,
  provider_ref         TEXT,
  original_key         TEXT,
  mask_key             TEXT,
  background_keys      TEXT    NOT NULL DEFAULT '[]',
  composite_keys       TEXT    NOT NULL DEFAULT '[]',
  thumbnail_keys       TEXT    NOT NULL DEFAULT '[]',
  derivative_keys      TEXT    NOT NULL DEFAULT '[]',
  storefront_media_ids TEXT    NOT NULL DEFAULT '[]',
  cost_usd             REAL    NOT NULL DEFAULT 0,
  error_code           TEXT,
  error_message        TEXT,
  error_stack          TEXT,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL,
  started_at           INTEGER,
  completed_at         INTEGER,
  purged_at            INTEGER,
  version              INTEGER NOT NULL
) STRICT;

-- Idempotency: one job (or tombstone) per identity, enforced by the database.
CREATE UNIQUE INDEX jobs_identity ON jobs (sku, sha256, theme);
-- claimDue: the claimable rows only (partial), in "oldest due first" order, so a claim reads the first
-- LIMIT matching entries instead of sorting every queued job. Its WHERE is repeated verbatim by the claim
-- query (SQLite uses a partial index only when the query implies its condition).
CREATE INDEX jobs_claim ON jobs (coalesce(next_run_at, created_at), created_at, id)
  WHERE status IN ('QUEUED','SEGMENTING','BG_GENERATING','COMPOSITING','SHOPIFY_PUSH') AND driver = 'worker' AND purged_at IS NULL;
-- list(): newest first, optionally by status (sku uses jobs_identity's prefix; a theme filter walks
-- jobs_created: every index costs a page write per insert, and themes are few and rarely filtered alone).
CREATE INDEX jobs_created ON jobs (created_at, id);
CREATE INDEX jobs_status_created ON jobs (status, created_at, id);
-- deleteFinished: finished jobs by completion time.
CREATE INDEX jobs_completed ON jobs (completed_at) WHERE completed_at IS NOT NULL;

CREATE TABLE job_events (
  -- A plain rowid (max + 1): increasing among the rows present. No AUTOINCREMENT: its sqlite_sequence
  -- write on every event cost ~15 % of a job's write path, and nothing needs ids of deleted events kept unique.
  id          INTEGER PRIMARY KEY,
  job_id      TEXT    NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  at          INTEGER NOT NULL,
  from_status TEXT,
  to_status   TEXT    NOT NULL,
  attempt     INTEGER NOT NULL,
  error_code  TEXT,
  message     TEXT,
  cost_usd    REAL    NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX job_events_job ON job_events (job_id, id);
-- spendSince / stats: only events that cost something are indexed (most cost nothing).
CREATE INDEX job_events_spend ON job_events (at) WHERE cost_usd <> 0;
`,
};
