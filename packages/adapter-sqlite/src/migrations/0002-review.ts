import type { Migration } from './types.js';

/**
 * Round two: the REVIEW status (a cut waits for a person before the storefront), the cutout's quality and
 * the operator's "re-segment with the hosted segmenter" request.
 *
 * SQLite cannot alter a CHECK constraint, so `jobs` is rebuilt. With foreign keys on, `DROP TABLE jobs`
 * would run an implicit DELETE that cascades to the events, so the events are rebuilt too: new tables are
 * created beside the old ones (the new events referencing the new jobs table), filled, the old ones
 * dropped (events first, so nothing references the old jobs table), and the new ones renamed — a rename
 * rewrites the foreign key of the events table to the final name. Ids, versions and event rowids are kept.
 */
export const migration0002: Migration = {
  version: 2,
  name: 'review-and-quality',
  sql: `
CREATE TABLE jobs_v2 (
  id                   TEXT    NOT NULL PRIMARY KEY,
  sku                  TEXT    NOT NULL,
  image_url            TEXT,
  sha256               TEXT    NOT NULL,
  theme                TEXT    NOT NULL,
  status               TEXT    NOT NULL CHECK (status IN ('NEW','QUEUED','SEGMENTING','BG_GENERATING','COMPOSITING','REVIEW','SHOPIFY_PUSH','DONE','FAILED')),
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
  quality              TEXT,
  segment_with         TEXT    CHECK (segment_with IN ('hosted')),
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

INSERT INTO jobs_v2 (id, sku, image_url, sha256, theme, status, driver, attempts, max_attempts, next_run_at, lease_owner,
  lease_expires_at, failed_status, provider_ref, original_key, mask_key, background_keys, composite_keys, thumbnail_keys,
  derivative_keys, storefront_media_ids, cost_usd, error_code, error_message, error_stack, created_at, updated_at,
  started_at, completed_at, purged_at, version)
SELECT id, sku, image_url, sha256, theme, status, driver, attempts, max_attempts, next_run_at, lease_owner,
  lease_expires_at, failed_status, provider_ref, original_key, mask_key, background_keys, composite_keys, thumbnail_keys,
  derivative_keys, storefront_media_ids, cost_usd, error_code, error_message, error_stack, created_at, updated_at,
  started_at, completed_at, purged_at, version
FROM jobs;

CREATE TABLE job_events_v2 (
  id          INTEGER PRIMARY KEY,
  job_id      TEXT    NOT NULL REFERENCES jobs_v2 (id) ON DELETE CASCADE,
  at          INTEGER NOT NULL,
  from_status TEXT,
  to_status   TEXT    NOT NULL,
  attempt     INTEGER NOT NULL,
  error_code  TEXT,
  message     TEXT,
  cost_usd    REAL    NOT NULL DEFAULT 0
) STRICT;

INSERT INTO job_events_v2 (id, job_id, at, from_status, to_status, attempt, error_code, message, cost_usd)
SELECT id, job_id, at, from_status, to_status, attempt, error_code, message, cost_usd FROM job_events;

DROP TABLE job_events;
DROP TABLE jobs;
ALTER TABLE jobs_v2 RENAME TO jobs;
ALTER TABLE job_events_v2 RENAME TO job_events;

-- The indexes of 0001, unchanged (REVIEW is not claimable: a person, not a worker, moves it on).
CREATE UNIQUE INDEX jobs_identity ON jobs (sku, sha256, theme);
CREATE INDEX jobs_claim ON jobs (coalesce(next_run_at, created_at), created_at, id)
  WHERE status IN ('QUEUED','SEGMENTING','BG_GENERATING','COMPOSITING','SHOPIFY_PUSH') AND driver = 'worker' AND purged_at IS NULL;
CREATE INDEX jobs_created ON jobs (created_at, id);
CREATE INDEX jobs_status_created ON jobs (status, created_at, id);
CREATE INDEX jobs_completed ON jobs (completed_at) WHERE completed_at IS NOT NULL;
CREATE INDEX job_events_job ON job_events (job_id, id);
CREATE INDEX job_events_spend ON job_events (at) WHERE cost_usd <> 0;
`,
};
