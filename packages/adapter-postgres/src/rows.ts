/**
 * Row ↔ Job mapping. Written to work with pg's default type parsers (timestamptz → Date, int8 and numeric →
 * string, jsonb → parsed) and also with pools configured to return strings, since a caller's pool may be
 * set up either way.
 */
import { JobkitError, type CutoutQuality, type Job, type JobDriver, type JobEvent, type JobStatus, type NewJobEvent } from 'jobkit';

export interface JobRow {
  id: string;
  sku: string;
  image_url: string | null;
  sha256: string;
  theme: string;
  status: string;
  driver: string | null;
  attempts: number;
  max_attempts: number;
  next_run_at: Date | string | null;
  lease_owner: string | null;
  lease_expires_at: Date | string | null;
  failed_status: string | null;
  provider_ref: string | null;
  original_key: string | null;
  mask_key: string | null;
  background_keys: unknown;
  composite_keys: unknown;
  thumbnail_keys: unknown;
  derivative_keys: unknown;
  storefront_media_ids: unknown;
  quality: unknown;
  segment_with: string | null;
  cost_usd: string | number;
  error_code: string | null;
  error_message: string | null;
  error_stack: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  started_at: Date | string | null;
  completed_at: Date | string | null;
  purged_at: Date | string | null;
  version: string | number;
}

export interface EventRow {
  id: string | number;
  job_id: string;
  at: Date | string;
  from_status: string | null;
  to_status: string;
  attempt: number;
  error_code: string | null;
  message: string | null;
  cost_usd: string | number;
}

/** Column list in the order of `jobParams`. */
export const JOB_COLUMNS = [
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

/** SQL casts per column so every parameter is typed explicitly (no reliance on inference). */
export const JOB_COLUMN_TYPES: Record<(typeof JOB_COLUMNS)[number], string> = {
  id: 'text',
  sku: 'text',
  image_url: 'text',
  sha256: 'text',
  theme: 'text',
  status: 'text',
  driver: 'text',
  attempts: 'integer',
  max_attempts: 'integer',
  next_run_at: 'timestamptz',
  lease_owner: 'text',
  lease_expires_at: 'timestamptz',
  failed_status: 'text',
  provider_ref: 'text',
  original_key: 'text',
  mask_key: 'text',
  background_keys: 'jsonb',
  composite_keys: 'jsonb',
  thumbnail_keys: 'jsonb',
  derivative_keys: 'jsonb',
  storefront_media_ids: 'jsonb',
  quality: 'jsonb',
  segment_with: 'text',
  cost_usd: 'numeric',
  error_code: 'text',
  error_message: 'text',
  error_stack: 'text',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  started_at: 'timestamptz',
  completed_at: 'timestamptz',
  purged_at: 'timestamptz',
  version: 'bigint',
};

/** Parameters for JOB_COLUMNS. Arrays go as JSON text (pg would otherwise send a Postgres array literal). */
export function jobParams(job: Job): unknown[] {
  return [
    job.id,
    job.sku,
    job.imageUrl,
    job.sha256,
    job.theme,
    job.status,
    job.driver,
    job.attempts,
    job.maxAttempts,
    job.nextRunAt,
    job.leaseOwner,
    job.leaseExpiresAt,
    job.failedStatus,
    job.providerRef,
    job.originalKey,
    job.maskKey,
    JSON.stringify(job.backgroundKeys),
    JSON.stringify(job.compositeKeys),
    JSON.stringify(job.thumbnailKeys),
    JSON.stringify(job.derivativeKeys),
    JSON.stringify(job.storefrontMediaIds),
    job.quality === null || job.quality === undefined ? null : JSON.stringify({ score: job.quality.score, reasons: job.quality.reasons }),
    job.segmentWith ?? null,
    numberParam(job.costUsd),
    job.errorCode,
    freeText(job.errorMessage),
    freeText(job.errorStack),
    job.createdAt,
    job.updatedAt,
    job.startedAt,
    job.completedAt,
    job.purgedAt,
    job.version,
  ];
}

/** Parameters of a compare-and-set update: id, version, then `columns` (the mutable ones) in order. */
export function updateParams(job: Job, columns: readonly (typeof JOB_COLUMNS)[number][]): unknown[] {
  const all = jobParams(job);
  return [job.id, job.version, ...columns.map((c) => all[JOB_COLUMNS.indexOf(c)])];
}

/** Event parameters: job_id, at, from_status, to_status, attempt, error_code, message, cost_usd. */
export function eventParams(e: NewJobEvent): unknown[] {
  return [e.jobId, e.at, e.from, e.to, e.attempt, e.errorCode, freeText(e.message), numberParam(e.costUsd)];
}

export function rowToJob(r: JobRow): Job {
  return {
    id: r.id,
    sku: r.sku,
    imageUrl: r.image_url,
    sha256: r.sha256,
    theme: r.theme,
    status: r.status as JobStatus,
    driver: r.driver as JobDriver | null,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    nextRunAt: isoOrNull(r.next_run_at),
    leaseOwner: r.lease_owner,
    leaseExpiresAt: isoOrNull(r.lease_expires_at),
    failedStatus: r.failed_status as JobStatus | null,
    providerRef: r.provider_ref,
    originalKey: r.original_key,
    maskKey: r.mask_key,
    backgroundKeys: stringArray(r.background_keys),
    compositeKeys: stringArray(r.composite_keys),
    thumbnailKeys: stringArray(r.thumbnail_keys),
    derivativeKeys: stringArray(r.derivative_keys),
    storefrontMediaIds: stringArray(r.storefront_media_ids),
    quality: qualityOrNull(r.quality),
    segmentWith: r.segment_with as Job['segmentWith'],
    costUsd: Number(r.cost_usd),
    errorCode: r.error_code,
    errorMessage: r.error_message,
    errorStack: r.error_stack,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    startedAt: isoOrNull(r.started_at),
    completedAt: isoOrNull(r.completed_at),
    purgedAt: isoOrNull(r.purged_at),
    version: safeInt(r.version),
  };
}

export function rowToEvent(r: EventRow): JobEvent {
  return {
    id: safeInt(r.id),
    jobId: r.job_id,
    at: iso(r.at),
    from: r.from_status as JobStatus | null,
    to: r.to_status as JobStatus,
    attempt: r.attempt,
    errorCode: r.error_code,
    message: r.message,
    costUsd: Number(r.cost_usd),
  };
}

export function iso(v: Date | string): string {
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) throw new JobkitError('STORAGE_FAILED', `postgres returned an invalid timestamp: ${String(v)}`, { retryable: false });
  return d.toISOString();
}

function isoOrNull(v: Date | string | null): string | null {
  return v === null ? null : iso(v);
}

/** bigint columns arrive as strings; they are exact as numbers up to 2^53. */
function safeInt(v: string | number): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isSafeInteger(n)) throw new JobkitError('STORAGE_FAILED', `postgres integer ${String(v)} exceeds Number.MAX_SAFE_INTEGER`, { retryable: false });
  return n;
}

function qualityOrNull(v: unknown): CutoutQuality | null {
  if (v === null || v === undefined) return null;
  const parsed = (typeof v === 'string' ? JSON.parse(v) : v) as { score?: unknown; reasons?: unknown };
  return { score: Number(parsed.score), reasons: Array.isArray(parsed.reasons) ? parsed.reasons.map(String) : [] };
}

function stringArray(v: unknown): string[] {
  const parsed: unknown = typeof v === 'string' ? JSON.parse(v) : v;
  return Array.isArray(parsed) ? parsed.map(String) : [];
}

/**
 * PostgreSQL text cannot hold U+0000. Error messages and stacks come from providers and may contain it;
 * refusing them would make a failure unrecordable, so NUL becomes U+FFFD in these free-text fields only.
 */
function freeText(v: string | null): string | null {
  return v === null || !v.includes('\u0000') ? v : v.replaceAll('\u0000', '\uFFFD');
}

/** Numbers to numeric as their shortest round-trip text (Number(text) gives the same double back). */
function numberParam(n: number): string {
  if (!Number.isFinite(n)) throw new JobkitError('INVALID_INPUT', `costUsd: must be a finite number`, { details: { field: 'costUsd' } });
  return String(n);
}
