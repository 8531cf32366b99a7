/**
 * Job/JobEvent ⇄ row conversion. Timestamps cross the port as ISO-8601 strings and are stored as INTEGER
 * epoch milliseconds; key arrays are stored as JSON text. Values are bound as parameters, never spliced.
 */
import { invalidInput, type CutoutQuality, type Job, type JobEvent, type JobStatus, type NewJobEvent } from 'jobkit';

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
  next_run_at: number | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  failed_status: string | null;
  provider_ref: string | null;
  original_key: string | null;
  mask_key: string | null;
  background_keys: string;
  composite_keys: string;
  thumbnail_keys: string;
  derivative_keys: string;
  storefront_media_ids: string;
  /** JSON `{ score, reasons }`, or NULL before segmentation (and for jobs written by 0.1). */
  quality: string | null;
  segment_with: string | null;
  cost_usd: number;
  error_code: string | null;
  error_message: string | null;
  error_stack: string | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  completed_at: number | null;
  purged_at: number | null;
  version: number;
}

export interface EventRow {
  id: number;
  job_id: string;
  at: number;
  from_status: string | null;
  to_status: string;
  attempt: number;
  error_code: string | null;
  message: string | null;
  cost_usd: number;
}

function isoToMs(value: unknown, field: string): number {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw invalidInput(field, 'must be an ISO-8601 timestamp');
  return ms;
}

function optionalIsoToMs(value: unknown, field: string): number | null {
  return value === null || value === undefined ? null : isoToMs(value, field);
}

const msToIso = (ms: number): string => new Date(ms).toISOString();
// Most key arrays are empty: skip JSON.parse for them (rows are decoded on every read and write).
const parseKeys = (json: string): string[] => (json === '[]' ? [] : (JSON.parse(json) as string[]));
const optionalMsToIso = (ms: number | null): string | null => (ms === null ? null : msToIso(ms));

function keysToJson(value: unknown, field: string): string {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw invalidInput(field, 'must be an array of strings');
  return JSON.stringify(value);
}

function finiteNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidInput(field, 'must be a finite number');
  return value;
}

function qualityToJson(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const q = value as Partial<CutoutQuality>;
  if (typeof q.score !== 'number' || !Number.isFinite(q.score) || !Array.isArray(q.reasons) || !q.reasons.every((r) => typeof r === 'string')) {
    throw invalidInput('quality', 'must be { score: number, reasons: string[] }');
  }
  return JSON.stringify({ score: q.score, reasons: q.reasons });
}

/** Every column of `job` as named parameters (the names match the columns). */
export function jobToRow(job: Job): JobRow {
  return {
    id: job.id,
    sku: job.sku,
    image_url: job.imageUrl ?? null,
    sha256: job.sha256,
    theme: job.theme,
    status: job.status,
    driver: job.driver ?? null,
    attempts: job.attempts,
    max_attempts: job.maxAttempts,
    next_run_at: optionalIsoToMs(job.nextRunAt, 'nextRunAt'),
    lease_owner: job.leaseOwner ?? null,
    lease_expires_at: optionalIsoToMs(job.leaseExpiresAt, 'leaseExpiresAt'),
    failed_status: job.failedStatus ?? null,
    provider_ref: job.providerRef ?? null,
    original_key: job.originalKey ?? null,
    mask_key: job.maskKey ?? null,
    background_keys: keysToJson(job.backgroundKeys, 'backgroundKeys'),
    composite_keys: keysToJson(job.compositeKeys, 'compositeKeys'),
    thumbnail_keys: keysToJson(job.thumbnailKeys, 'thumbnailKeys'),
    derivative_keys: keysToJson(job.derivativeKeys, 'derivativeKeys'),
    storefront_media_ids: keysToJson(job.storefrontMediaIds, 'storefrontMediaIds'),
    quality: qualityToJson(job.quality),
    segment_with: job.segmentWith ?? null,
    cost_usd: finiteNumber(job.costUsd, 'costUsd'),
    error_code: job.errorCode ?? null,
    error_message: job.errorMessage ?? null,
    error_stack: job.errorStack ?? null,
    created_at: isoToMs(job.createdAt, 'createdAt'),
    updated_at: isoToMs(job.updatedAt, 'updatedAt'),
    started_at: optionalIsoToMs(job.startedAt, 'startedAt'),
    completed_at: optionalIsoToMs(job.completedAt, 'completedAt'),
    purged_at: optionalIsoToMs(job.purgedAt, 'purgedAt'),
    version: job.version,
  };
}

export function rowToJob(r: JobRow): Job {
  return {
    id: r.id,
    sku: r.sku,
    imageUrl: r.image_url,
    sha256: r.sha256,
    theme: r.theme,
    status: r.status as JobStatus,
    driver: r.driver as Job['driver'],
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    nextRunAt: optionalMsToIso(r.next_run_at),
    leaseOwner: r.lease_owner,
    leaseExpiresAt: optionalMsToIso(r.lease_expires_at),
    failedStatus: r.failed_status as JobStatus | null,
    providerRef: r.provider_ref,
    originalKey: r.original_key,
    maskKey: r.mask_key,
    backgroundKeys: parseKeys(r.background_keys),
    compositeKeys: parseKeys(r.composite_keys),
    thumbnailKeys: parseKeys(r.thumbnail_keys),
    derivativeKeys: parseKeys(r.derivative_keys),
    storefrontMediaIds: parseKeys(r.storefront_media_ids),
    quality: r.quality === null ? null : (JSON.parse(r.quality) as CutoutQuality),
    segmentWith: r.segment_with as Job['segmentWith'],
    costUsd: r.cost_usd,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    errorStack: r.error_stack,
    createdAt: msToIso(r.created_at),
    updatedAt: msToIso(r.updated_at),
    startedAt: optionalMsToIso(r.started_at),
    completedAt: optionalMsToIso(r.completed_at),
    purgedAt: optionalMsToIso(r.purged_at),
    version: r.version,
  };
}

export function eventToRow(e: NewJobEvent): Omit<EventRow, 'id'> {
  return {
    job_id: e.jobId,
    at: isoToMs(e.at, 'event.at'),
    from_status: e.from ?? null,
    to_status: e.to,
    attempt: e.attempt,
    error_code: e.errorCode ?? null,
    message: e.message ?? null,
    cost_usd: finiteNumber(e.costUsd, 'event.costUsd'),
  };
}

export function rowToEvent(r: EventRow): JobEvent {
  return {
    id: r.id,
    jobId: r.job_id,
    at: msToIso(r.at),
    from: r.from_status as JobStatus | null,
    to: r.to_status as JobStatus,
    attempt: r.attempt,
    errorCode: r.error_code,
    message: r.message,
    costUsd: r.cost_usd,
  };
}
