import type { Migration } from './types.js';

const STEP_STATUSES = `('QUEUED', 'SEGMENTING', 'BG_GENERATING', 'COMPOSITING', 'SHOPIFY_PUSH')`;

/** Jobs and their append-only event log. Timestamps are timestamptz (µs, we store ms); money is numeric. */
export const initial: Migration = {
  version: 1,
  name: 'initial',
  up: (s) => [
    `CREATE TABLE ${s}.jobs (
      id text PRIMARY KEY,
      sku text NOT NULL,
      image_url text,
      sha256 text NOT NULL,
      theme text NOT NULL,
      status text NOT NULL,
      driver text,
      attempts integer NOT NULL,
      max_attempts integer NOT NULL,
      next_run_at timestamptz,
      lease_owner text,
      lease_expires_at timestamptz,
      failed_status text,
      provider_ref text,
      original_key text,
      mask_key text,
      background_keys jsonb NOT NULL DEFAULT '[]',
      composite_keys jsonb NOT NULL DEFAULT '[]',
      thumbnail_keys jsonb NOT NULL DEFAULT '[]',
      derivative_keys jsonb NOT NULL DEFAULT '[]',
      storefront_media_ids jsonb NOT NULL DEFAULT '[]',
      cost_usd numeric NOT NULL DEFAULT 0,
      error_code text,
      error_message text,
      error_stack text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      started_at timestamptz,
      completed_at timestamptz,
      purged_at timestamptz,
      version bigint NOT NULL,
      CONSTRAINT jobs_identity UNIQUE (sku, sha256, theme)
    ) WITH (fillfactor = 70)`,
    // Free space per page lets claims and lease renewals (which touch no indexed column) be HOT updates:
    // no index writes, and the dead versions are pruned in place.
    // The claim query's predicate and sort key, so claiming reads only due candidates in order.
    `CREATE INDEX jobs_due ON ${s}.jobs ((coalesce(next_run_at, created_at)), id)
       WHERE driver = 'worker' AND status IN ${STEP_STATUSES} AND purged_at IS NULL`,
    `CREATE INDEX jobs_created ON ${s}.jobs (created_at DESC, id DESC)`,
    `CREATE INDEX jobs_status ON ${s}.jobs (status, created_at DESC)`,
    `CREATE TABLE ${s}.job_events (
      id bigserial PRIMARY KEY,
      job_id text NOT NULL REFERENCES ${s}.jobs (id) ON DELETE CASCADE,
      at timestamptz NOT NULL,
      from_status text,
      to_status text NOT NULL,
      attempt integer NOT NULL,
      error_code text,
      message text,
      cost_usd numeric NOT NULL DEFAULT 0
    )`,
    `CREATE INDEX job_events_job ON ${s}.job_events (job_id, id)`,
    `CREATE INDEX job_events_at ON ${s}.job_events (at) WHERE cost_usd <> 0`,
  ],
};
