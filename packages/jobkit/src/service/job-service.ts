/**
 * JobService owns every rule: validation, idempotent create, transitions through the state machine,
 * the per-SKU image limit, cost, stats and cleanup. Adapters (HTTP, CLI, worker) call it; they never
 * change a status themselves. Every write is a compare-and-set on `version` plus one event, so a
 * concurrent writer gets CONFLICT instead of a lost update.
 */
import { nanoid } from 'nanoid';
import { z } from 'zod';
import { JobkitError, invalidInput } from '../errors.js';
import { newJobRecord, type Job, type JobDriver, type JobEvent, type JobPage, type JobStats, type JobUpdates, type NewJobEvent } from '../domain/job.js';
import { isTerminal, isStepStatus, type JobStatus } from '../domain/status.js';
import { nextStatus, transitionJob } from '../domain/state-machine.js';
import { assertSafeKey, keys, type ImageExtension } from '../domain/keys.js';
import { createThemeRegistry, type ThemeRegistry } from '../domain/themes.js';
import { driverSchema, httpUrlSchema, jobIdSchema, parseInput, sha256Schema, skuSchema, statusSchema, themeSchema } from '../domain/validation.js';
import type { JobStore } from '../ports/job-store.js';
import type { ObjectStore } from '../ports/object-store.js';
import { systemClock, type Clock } from '../ports/clock.js';
import { silentLogger, type Logger } from '../ports/logger.js';
import { assertFetchableUrl } from '../security/url-guard.js';
import type { AddressPolicy } from '../security/address-policy.js';
import { DEFAULT_MAX_ATTEMPTS, canRetry, getRetryDelay, type RetryDelayOptions } from '../retry-policy.js';
import { DEFAULT_REVIEW_MIN_SCORE, type CutoutQuality } from '../ports/quality.js';
import { roundUsd } from '../util/stats.js';
import { costUsdSchema, errorCodeSchema, listJobsQuerySchema, rejectJobSchema } from '../domain/request-schemas.js';
import { utcMidnight } from '../util/clone.js';

export interface JobServiceOptions {
  store: JobStore;
  clock?: Clock;
  logger?: Logger;
  /** Distinct photos (sha256) per SKU among non-failed jobs; unset = unlimited. */
  maxImagesPerSku?: number;
  /** Tries per step before a retryable error fails the job (default 5). */
  maxAttempts?: number;
  /** Upper bound for listJobs' limit (default 200; default page 50). */
  maxListLimit?: number;
  /** Known themes (default: the built-ins). createJob refuses others. */
  themes?: ThemeRegistry;
  /** Which imageUrl hosts are acceptable (SSRF guard; literal addresses are checked at create). */
  addressPolicy?: AddressPolicy;
  /** Checks that an uploaded `originalKey` exists at createJob; deleteOldJobs removes deleted jobs' objects. */
  objects?: ObjectStore;
  /**
   * When a composited job waits in REVIEW for a person before the storefront: 'doubtful' (default) holds
   * cuts whose quality score is below `reviewMinScore` (and worker-driven cuts nobody scored), 'always'
   * holds every job, 'never' holds none.
   */
  review?: ReviewPolicy;
  /** Quality score below which a cut is doubtful (default DEFAULT_REVIEW_MIN_SCORE = 0.6). */
  reviewMinScore?: number;
  /** Whether the worker has a hosted segmenter (a segmenter chain), so rejectJob may ask for it. Default false. */
  hostedSegmenter?: boolean;
  /** Backoff of retried steps (default: 2 s doubling to 5 min, jittered). */
  retry?: Omit<RetryDelayOptions, 'retryAfterMs'>;
}

export type ReviewPolicy = 'doubtful' | 'always' | 'never';
export const REVIEW_POLICIES = ['doubtful', 'always', 'never'] as const satisfies readonly ReviewPolicy[];

export interface ReviewSettings {
  policy: ReviewPolicy;
  minScore: number;
  hostedSegmenter: boolean;
}

export interface RejectJobInput {
  /** Why the cut is wrong; recorded as the job's errorMessage (or in the event, when re-segmenting). */
  reason: string;
  /** 'hosted': re-segment this photo with the hosted segmenter instead of failing the job. */
  retryWith?: 'hosted' | undefined;
}

/** What a worker's step produced: the fields to record, the spend, and whether it reused stored output. */
export interface StepResult {
  updates: JobUpdates;
  costUsd: number;
  /** The output was already stored (another theme, an earlier try): nothing was computed or paid. */
  skipped: boolean;
}

/** What became of a failed step: retried later, waiting (budget), or failed for good. */
export type StepFailureOutcome = { kind: 'retry'; job: Job; delayMs: number } | { kind: 'wait'; job: Job; delayMs: number } | { kind: 'failed'; job: Job };

export interface CreateJobInput {
  sku: string;
  sha256: string;
  theme?: string | undefined;
  /** http(s) URL of the original photo … */
  imageUrl?: string | undefined;
  /** … or the key of an original already in the object store (uploads, CLI backfills). */
  originalKey?: string | undefined;
  /** Start immediately: created as QUEUED in the same write (a crash cannot strand it in NEW). */
  autoStart?: boolean | undefined;
}

export interface CreateJobResult {
  job: Job;
  created: boolean;
}

export interface ListJobsInput {
  status?: JobStatus | undefined;
  sku?: string | undefined;
  theme?: string | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

export interface StepMeta {
  costUsd?: number;
  /** Try number recorded in the event (default: the job's attempts after the write). */
  attempt?: number;
  message?: string;
  errorCode?: string | null;
}

const createSchema = z
  .object({
    sku: skuSchema,
    sha256: z
      .string()
      .transform((s) => s.toLowerCase())
      .pipe(sha256Schema),
    theme: themeSchema.optional(),
    imageUrl: httpUrlSchema.optional(),
    originalKey: z.string().max(1024).optional(),
    autoStart: z.boolean().optional(),
  })
  .strict();

// Shared with the HTTP API (domain/request-schemas.ts): one rule for a list query, a cost, an error code.
const listSchema = listJobsQuerySchema;

const keyList = () =>
  z
    .array(z.string())
    .max(100)
    .superRefine((list, ctx) => {
      for (const [i, k] of list.entries()) refineKey(k, ctx, i);
    });
function refineKey(k: string, ctx: z.RefinementCtx, i?: number): void {
  try {
    assertSafeKey(k);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be a safe object key', ...(i === undefined ? {} : { path: [i] }) });
  }
}
const keySchema = z.string().superRefine((k, ctx) => refineKey(k, ctx));
const qualitySchema = z.object({ score: z.number().finite().min(0).max(1), reasons: z.array(z.string().min(1).max(500)).max(50) }).strict();
const rejectSchema = rejectJobSchema;
const costSchema = costUsdSchema;

export type JobService = ReturnType<typeof createJobService>;

export function createJobService(opts: JobServiceOptions) {
  if (!opts || typeof opts !== 'object' || !opts.store) throw invalidInput('store', 'a JobStore is required');
  const store = opts.store;
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;
  const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const maxListLimit = opts.maxListLimit ?? 200;
  const themes = opts.themes ?? createThemeRegistry();
  const addressPolicy = opts.addressPolicy ?? {};
  if (opts.maxImagesPerSku !== undefined && (!Number.isInteger(opts.maxImagesPerSku) || opts.maxImagesPerSku < 1)) {
    throw invalidInput('maxImagesPerSku', 'must be a positive integer');
  }
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) throw invalidInput('maxAttempts', 'must be an integer 1..100');
  const review: ReviewSettings = Object.freeze({
    policy: parseInput(z.enum(REVIEW_POLICIES).optional(), opts.review, 'review') ?? 'doubtful',
    minScore: parseInput(z.number().finite().min(0).max(1).optional(), opts.reviewMinScore, 'reviewMinScore') ?? DEFAULT_REVIEW_MIN_SCORE,
    hostedSegmenter: opts.hostedSegmenter === true,
  });
  const retryOptions = opts.retry ?? {};

  const now = (): Date => clock.now();
  const id = (value: unknown): string => parseInput(jobIdSchema, value, 'id');

  async function requireJob(jobId: unknown): Promise<Job> {
    const job = await store.get(id(jobId));
    if (!job) throw new JobkitError('NOT_FOUND', `job ${String(jobId)} not found`, { details: { id: jobId } });
    return job;
  }

  function eventOf(before: Job, after: Job, meta: StepMeta = {}): NewJobEvent {
    return {
      jobId: before.id,
      at: after.updatedAt,
      from: before.status,
      to: after.status,
      attempt: meta.attempt ?? after.attempts,
      errorCode: meta.errorCode ?? (after.status === 'FAILED' ? after.errorCode : null),
      message: meta.message ?? null,
      costUsd: roundUsd(meta.costUsd ?? 0),
    };
  }

  /** The one write path: CAS on `before.version`, one event. */
  async function write(before: Job, after: Job, meta: StepMeta = {}): Promise<Job> {
    const cost = meta.costUsd ?? 0;
    const next: Job = { ...after, version: before.version, costUsd: roundUsd(after.costUsd + cost) };
    const stored = await store.update(next, eventOf(before, next, meta));
    if (before.status !== stored.status) {
      logger.info({ jobId: stored.id, sku: stored.sku, from: before.status, to: stored.status }, 'job status changed');
    }
    return stored;
  }

  /** Moves `held` to `to` through the state machine and writes it (CAS on held.version). */
  async function transition(held: Job, to: JobStatus, updates: JobUpdates = {}, meta: StepMeta = {}): Promise<Job> {
    const next = transitionJob(held, to, updates, now());
    return write(held, next, meta);
  }

  /** Writes field changes without a status change (CAS on held.version). */
  async function patch(held: Job, updates: JobUpdates, meta: StepMeta = {}): Promise<Job> {
    if (updates.status !== undefined && updates.status !== held.status) throw invalidInput('status', 'use transition() to change the status');
    return write(held, { ...held, ...updates, status: held.status, updatedAt: now().toISOString() }, meta);
  }

  function assertExternal(job: Job, op: string): void {
    if (job.driver !== 'external') {
      throw new JobkitError(
        'INVALID_TRANSITION',
        `${op}: job ${job.id} is ${job.driver === 'worker' ? 'driven by the built-in worker' : 'not started'}; step results are accepted only for jobs started with driver "external"`,
        {
          details: { driver: job.driver },
        },
      );
    }
  }

  function originalExt(imageUrl: string | null): ImageExtension {
    const m = imageUrl ? /\.(jpe?g|png|webp|avif|gif|tiff?)$/i.exec(new URL(imageUrl).pathname) : null;
    const ext = m ? m[1]!.toLowerCase() : 'jpg';
    return (ext === 'jpeg' ? 'jpg' : ext === 'tif' ? 'tiff' : ext) as ImageExtension;
  }

  function assertInReview(job: Job, op: string): void {
    if (job.status !== 'REVIEW') {
      throw new JobkitError('INVALID_TRANSITION', `cannot ${op} job ${job.id}: it is ${job.status}, not waiting in REVIEW`, {
        details: { status: job.status },
      });
    }
  }

  /** COMPOSITING → REVIEW or SHOPIFY_PUSH, by the review policy. */
  async function completeComposite(held: Job, updates: JobUpdates, meta: StepMeta): Promise<Job> {
    const reasons = reviewReasons({ ...held, ...updates });
    if (reasons === null) return transition(held, 'SHOPIFY_PUSH', updates, meta);
    const message = `held for review: ${reasons.join('; ')}`.slice(0, 4000);
    const job = await transition(held, 'REVIEW', updates, { ...meta, message });
    logger.info({ jobId: job.id, sku: job.sku, score: job.quality?.score ?? null }, 'job held for review');
    return job;
  }

  /**
   * Whether a composited job must wait for a person. External orchestrators own their cut: without a
   * reported quality they are held only under 'always'. A worker-driven cut nobody scored is doubtful.
   */
  function reviewReasons(job: Job): string[] | null {
    if (review.policy === 'never') return null;
    if (review.policy === 'always') return ['policy: every job is reviewed (review: always)'];
    if (job.quality === null) return job.driver === 'worker' ? ['not-scored: no quality gate scored this cutout'] : null;
    if (job.quality.score >= review.minScore) return null;
    return [`low-score: quality ${job.quality.score.toFixed(2)} is below ${review.minScore}`, ...job.quality.reasons];
  }

  const service = {
    store,
    clock,
    logger,
    maxAttempts,
    themes,
    addressPolicy,
    /** The review policy in force (read-only). */
    review,

    async createJob(input: CreateJobInput): Promise<CreateJobResult> {
      const data = parseInput(createSchema, input);
      const theme = data.theme ?? 'default';
      if (!themes.has(theme)) throw invalidInput('theme', `unknown theme "${theme}"; known themes: ${themes.names().join(', ')}`);
      if ((data.imageUrl === undefined) === (data.originalKey === undefined)) {
        throw invalidInput(data.imageUrl === undefined ? 'imageUrl' : 'originalKey', 'give exactly one of imageUrl or originalKey');
      }
      if (data.imageUrl !== undefined) assertFetchableUrl(data.imageUrl, addressPolicy);
      if (data.originalKey !== undefined) {
        assertSafeKey(data.originalKey, 'originalKey');
        // With an object store configured, an uploaded original must be there already: a clear 400 now
        // instead of a failed job later.
        if (opts.objects && !(await opts.objects.exists(data.originalKey)))
          throw invalidInput('originalKey', `no object at ${data.originalKey}; upload the original first`);
      }
      const at = now().toISOString();
      const autoStart = data.autoStart === true;
      const job = newJobRecord(
        {
          id: nanoid(),
          sku: data.sku,
          sha256: data.sha256,
          theme,
          imageUrl: data.imageUrl ?? null,
          originalKey: data.originalKey ?? null,
          maxAttempts,
          ...(autoStart ? { status: 'QUEUED' as const, driver: 'worker' as const, startedAt: at } : {}),
        },
        at,
      );
      const event: NewJobEvent = { jobId: job.id, at, from: null, to: job.status, attempt: 0, errorCode: null, message: 'created', costUsd: 0 };
      const result = await store.insertOrGet(job, event, opts.maxImagesPerSku === undefined ? {} : { maxImagesPerSku: opts.maxImagesPerSku });
      if (result.created) logger.info({ jobId: result.job.id, sku: result.job.sku, theme, status: result.job.status }, 'job created');
      else if (autoStart && result.job.status === 'NEW' && result.job.driver === null && result.job.purgedAt === null) {
        // A repeated delivery of a job nobody started (e.g. created by a replica that did not auto-start):
        // start it now, so whichever worker is alive runs it. A job already claimed by a driver is left alone.
        try {
          return { job: (await service.startJob(result.job.id, { driver: 'worker' })).job, created: false };
        } catch (e) {
          if (!JobkitError.is(e, 'CONFLICT') && !JobkitError.is(e, 'INVALID_TRANSITION')) throw e;
          return { job: (await store.get(result.job.id)) ?? result.job, created: false };
        }
      }
      return result;
    },

    /** The job, or null when there is none (the seed's behaviour). */
    async getJob(jobId: string): Promise<Job | null> {
      return store.get(id(jobId));
    },

    /** The job, or NOT_FOUND. */
    requireJob,

    async listJobs(filter: ListJobsInput = {}): Promise<JobPage> {
      const f = parseInput(listSchema, filter ?? {}, 'filter');
      const limit = Math.min(f.limit ?? 50, maxListLimit);
      const offset = f.offset ?? 0;
      const { jobs, total } = await store.list({ status: f.status, sku: f.sku, theme: f.theme, limit, offset });
      return { jobs, total, limit, offset };
    },

    /**
     * Starts a NEW job. worker → QUEUED (the built-in worker runs it). external → QUEUED → SEGMENTING with
     * the original's key set, for an outside orchestrator that reports each step. Repeating with the same
     * driver returns the job (started: false); another driver is INVALID_TRANSITION (409).
     */
    async startJob(jobId: string, options: { driver?: JobDriver } = {}): Promise<{ job: Job; started: boolean }> {
      const driver = parseInput(driverSchema.optional(), options?.driver, 'driver') ?? 'worker';
      let job = await requireJob(jobId);
      if (job.driver !== null && job.driver !== driver) {
        throw new JobkitError('INVALID_TRANSITION', `job ${job.id} is already driven by "${job.driver}"`, { details: { driver: job.driver } });
      }
      if (job.status === 'NEW') {
        const originalKey = job.originalKey ?? (driver === 'external' ? keys.original(job, originalExt(job.imageUrl)) : null);
        job = await transition(job, 'QUEUED', { driver, originalKey }, { message: `started (${driver})` });
        if (driver === 'worker') return { job, started: true };
      } else if (job.driver === null) {
        throw new JobkitError('INVALID_TRANSITION', `job ${job.id} is ${job.status} and cannot be started`);
      }
      // External: finish the move to SEGMENTING (also after a crash between the two writes).
      if (driver === 'external' && job.status === 'QUEUED') {
        return { job: await transition(job, 'SEGMENTING', {}, { message: 'external orchestrator segments' }), started: true };
      }
      return { job, started: false };
    },

    /** External driver: the cutout is stored. `quality` (optional) lets the review policy judge it. */
    async completeSegmentation(jobId: string, input: { maskKey: string; costUsd?: number; quality?: CutoutQuality }): Promise<Job> {
      const data = parseInput(z.object({ maskKey: keySchema, costUsd: costSchema.optional(), quality: qualitySchema.optional() }).strict(), input);
      const job = await requireJob(jobId);
      assertExternal(job, 'segmentation');
      return transition(job, 'BG_GENERATING', { maskKey: data.maskKey, quality: data.quality ?? null }, { costUsd: data.costUsd ?? 0 });
    },

    async completeBackgrounds(jobId: string, input: { backgroundKeys: string[]; costUsd?: number }): Promise<Job> {
      const data = parseInput(z.object({ backgroundKeys: keyList().min(1), costUsd: costSchema.optional() }).strict(), input);
      const job = await requireJob(jobId);
      assertExternal(job, 'backgrounds');
      return transition(job, 'COMPOSITING', { backgroundKeys: data.backgroundKeys }, { costUsd: data.costUsd ?? 0 });
    },

    async completeComposite(
      jobId: string,
      input: { compositeKeys: string[]; thumbnailKeys?: string[]; derivativeKeys?: string[]; costUsd?: number },
    ): Promise<Job> {
      const data = parseInput(
        z
          .object({
            compositeKeys: keyList().min(1),
            thumbnailKeys: keyList().optional(),
            derivativeKeys: keyList().optional(),
            costUsd: costSchema.optional(),
          })
          .strict(),
        input,
      );
      const job = await requireJob(jobId);
      assertExternal(job, 'composite');
      return completeComposite(
        job,
        { compositeKeys: data.compositeKeys, thumbnailKeys: data.thumbnailKeys ?? [], derivativeKeys: data.derivativeKeys ?? [] },
        { costUsd: data.costUsd ?? 0 },
      );
    },

    /** REVIEW → SHOPIFY_PUSH: a person approved the cut; the worker (or the external driver) pushes it. */
    async approveJob(jobId: string): Promise<Job> {
      const job = await requireJob(jobId);
      assertInReview(job, 'approve');
      return transition(job, 'SHOPIFY_PUSH', {}, { message: 'approved in review' });
    },

    /**
     * REVIEW → FAILED with REJECTED (non-retryable: the photo needs a person's attention), or, with
     * `retryWith: 'hosted'`, REVIEW → SEGMENTING: the hosted segmenter cuts the photo again and the job
     * composites anew (stored backgrounds are reused; the old composites are replaced).
     */
    async rejectJob(jobId: string, input: RejectJobInput): Promise<Job> {
      const data = parseInput(rejectSchema, input);
      const job = await requireJob(jobId);
      assertInReview(job, 'reject');
      if (data.retryWith === 'hosted') {
        if (!review.hostedSegmenter)
          throw invalidInput('retryWith', 'no hosted segmenter is configured (a segmenter chain with a hosted segmenter, e.g. Replicate)');
        if (job.driver !== 'worker') throw invalidInput('retryWith', 'only jobs driven by the built-in worker can be re-segmented');
        return transition(
          job,
          'SEGMENTING',
          { segmentWith: 'hosted', quality: null, maskKey: null, compositeKeys: [], thumbnailKeys: [], derivativeKeys: [] },
          { message: `rejected in review, re-segmenting with the hosted segmenter: ${data.reason}` },
        );
      }
      return transition(job, 'FAILED', { errorCode: 'REJECTED', errorMessage: data.reason, errorStack: null }, { errorCode: 'REJECTED', message: data.reason });
    },

    async completeStorefrontPush(jobId: string, input: { mediaIds: string[]; costUsd?: number }): Promise<Job> {
      const data = parseInput(z.object({ mediaIds: z.array(z.string().min(1).max(512)).min(1).max(100), costUsd: costSchema.optional() }).strict(), input);
      const job = await requireJob(jobId);
      assertExternal(job, 'shopify');
      return transition(job, 'DONE', { storefrontMediaIds: data.mediaIds }, { costUsd: data.costUsd ?? 0 });
    },

    /** Seed name: records storefront media ids and marks the job DONE. */
    async updateJobShopifyMediaIds(jobId: string, mediaIds: string[]): Promise<Job> {
      return service.completeStorefrontPush(jobId, { mediaIds });
    },

    /** Seed name: records object keys without changing the status (external jobs only). */
    async updateJobS3Keys(
      jobId: string,
      input: {
        originalKey?: string;
        maskKey?: string;
        backgroundKeys?: string[];
        compositeKeys?: string[];
        thumbnailKeys?: string[];
        derivativeKeys?: string[];
      },
    ): Promise<Job> {
      const data = parseInput(
        z
          .object({
            originalKey: keySchema.optional(),
            maskKey: keySchema.optional(),
            backgroundKeys: keyList().optional(),
            compositeKeys: keyList().optional(),
            thumbnailKeys: keyList().optional(),
            derivativeKeys: keyList().optional(),
          })
          .strict(),
        input,
      );
      const job = await requireJob(jobId);
      assertExternal(job, 'keys');
      if (isTerminal(job.status)) throw new JobkitError('INVALID_TRANSITION', `job ${job.id} is ${job.status}`);
      return patch(job, data as JobUpdates, { message: 'keys recorded' });
    },

    /** Seed name: moves an external job to `status` with `updates`, through the state machine. */
    async updateJobStatus(jobId: string, status: JobStatus, updates: JobUpdates = {}): Promise<Job> {
      const to = parseInput(statusSchema, status, 'status');
      if (to === 'FAILED') throw invalidInput('status', 'use failJob to fail a job');
      const job = await requireJob(jobId);
      assertExternal(job, 'status');
      const allowed: (keyof JobUpdates)[] = ['maskKey', 'backgroundKeys', 'compositeKeys', 'thumbnailKeys', 'derivativeKeys', 'storefrontMediaIds'];
      const picked: JobUpdates = {};
      for (const k of Object.keys(updates ?? {}) as (keyof JobUpdates)[]) {
        if (!allowed.includes(k)) throw invalidInput(k, 'cannot be set through updateJobStatus');
        (picked as Record<string, unknown>)[k] = updates[k];
      }
      if (picked.maskKey !== undefined) assertSafeKey(picked.maskKey, 'maskKey');
      for (const k of ['backgroundKeys', 'compositeKeys', 'thumbnailKeys', 'derivativeKeys'] as const) for (const key of picked[k] ?? []) assertSafeKey(key, k);
      return transition(job, to, picked);
    },

    /** Any non-terminal status → FAILED, recording the error. The lease is cleared. */
    async failJob(jobId: string, input: { code: string; message: string; stack?: string }): Promise<Job> {
      const data = parseInput(
        z.object({ code: errorCodeSchema, message: z.string().min(1).max(4000), stack: z.string().max(20_000).optional() }).strict(),
        input,
      );
      const job = await requireJob(jobId);
      return transition(
        job,
        'FAILED',
        { errorCode: data.code, errorMessage: data.message, errorStack: data.stack ?? null },
        { errorCode: data.code, message: data.message },
      );
    },

    /** The only way out of FAILED: back to the status it failed in, attempts reset — an operator action. */
    async retryJob(jobId: string): Promise<Job> {
      const job = await requireJob(jobId);
      if (job.status !== 'FAILED') throw new JobkitError('INVALID_TRANSITION', `job ${job.id} is ${job.status}; only FAILED jobs can be retried`);
      if (job.purgedAt !== null) throw new JobkitError('INVALID_TRANSITION', `job ${job.id} was cleaned up and cannot be retried`);
      const to: JobStatus = job.failedStatus ?? 'NEW';
      const at = now().toISOString();
      const next: Job = {
        ...job,
        status: to,
        attempts: 0,
        nextRunAt: null,
        leaseOwner: null,
        leaseExpiresAt: null,
        providerRef: null,
        failedStatus: null,
        errorCode: null,
        errorMessage: null,
        errorStack: null,
        completedAt: null,
        updatedAt: at,
      };
      return write(job, next, { message: 'retried by operator' });
    },

    async incrementJobAttempt(jobId: string): Promise<Job> {
      const job = await requireJob(jobId);
      if (isTerminal(job.status)) throw new JobkitError('INVALID_TRANSITION', `job ${job.id} is ${job.status}`);
      return patch(job, { attempts: job.attempts + 1 }, { message: 'attempt' });
    },

    async addJobCost(jobId: string, costUsd: number): Promise<Job> {
      const cost = parseInput(costSchema, costUsd, 'costUsd');
      const job = await requireJob(jobId);
      return patch(job, {}, { costUsd: cost, message: 'cost' });
    },

    /** Makes a worker-driven job due now (e.g. a provider callback arrived). Harmless when repeated. */
    async wakeJob(jobId: string): Promise<Job> {
      const job = await requireJob(jobId);
      if (job.driver !== 'worker' || !isStepStatus(job.status)) return job;
      if (job.nextRunAt === null || Date.parse(job.nextRunAt) <= now().getTime()) return job;
      try {
        return await patch(job, { nextRunAt: null }, { message: 'woken' });
      } catch (e) {
        if (JobkitError.is(e, 'CONFLICT')) return (await store.get(job.id)) ?? job;
        throw e;
      }
    },

    async getJobStats(): Promise<JobStats> {
      return store.stats(now());
    },

    async hasReachedImageLimit(sku: string): Promise<boolean> {
      const s = parseInput(skuSchema, sku, 'sku');
      if (opts.maxImagesPerSku === undefined) return false;
      return (await store.countImagesForSku(s)) >= opts.maxImagesPerSku;
    },

    async listJobEvents(jobId: string): Promise<JobEvent[]> {
      const job = await requireJob(jobId);
      return store.listEvents(job.id);
    },

    /**
     * Removes DONE/FAILED jobs completed more than `days` ago. Identities stay as tombstones (a re-delivered
     * webhook stays a duplicate) unless `forgetIdentities`. With an ObjectStore configured, their objects
     * are deleted too — except originals and masks that a live job of the same photo still references.
     */
    async deleteOldJobs(days: number, options: { forgetIdentities?: boolean } = {}): Promise<{ deleted: number; deletedObjects: number }> {
      const d = parseInput(z.number().finite().min(0).max(36_500), days, 'days');
      const before = new Date(now().getTime() - d * 86_400_000);
      const removed = await store.deleteFinished({ before, forgetIdentities: options.forgetIdentities === true, now: now() });
      let deletedObjects = 0;
      if (opts.objects && removed.length > 0) {
        const objects = opts.objects;
        for (const job of removed) {
          const shared = new Set<string>();
          if (job.originalKey || job.maskKey) {
            const { jobs: siblings } = await store.list({ sku: job.sku, limit: 1000, offset: 0 });
            for (const s of siblings) {
              if (s.id === job.id || s.sha256 !== job.sha256) continue;
              if (s.originalKey) shared.add(s.originalKey);
              if (s.maskKey) shared.add(s.maskKey);
            }
          }
          const owned = [job.originalKey, job.maskKey, ...job.backgroundKeys, ...job.compositeKeys, ...job.thumbnailKeys, ...job.derivativeKeys].filter(
            (k): k is string => typeof k === 'string' && !shared.has(k),
          );
          for (const k of owned) {
            await objects.delete(k);
            deletedObjects++;
          }
        }
      }
      logger.info({ deleted: removed.length, deletedObjects, days: d }, 'old jobs deleted');
      return { deleted: removed.length, deletedObjects };
    },

    // ---- worker-facing operations: always with the version the caller holds (lease fencing) ----
    transition,

    /** Claims due worker-driven jobs with a lease for `owner` (see JobStore.claimDue). */
    async claimJobs(input: { owner: string; leaseMs: number; limit: number }): Promise<Job[]> {
      if (input.limit <= 0) return [];
      return store.claimDue({ owner: input.owner, now: now(), leaseMs: input.leaseMs, limit: input.limit });
    },

    /** Extends the lease `owner` holds on `held`; CONFLICT when it was lost. */
    async renewLease(held: Job, owner: string, leaseMs: number): Promise<Job> {
      return store.renewLease({ id: held.id, owner, version: held.version }, now(), leaseMs);
    },

    /** Gives up the lease (worker stopping between steps); false when it was no longer held. */
    async releaseLease(held: Job, owner: string): Promise<boolean> {
      return store.releaseLease({ id: held.id, owner, version: held.version });
    },

    /** Records a hosted request id before waiting on it, so a re-claimed step resumes it instead of paying again. */
    async recordProviderRef(held: Job, ref: string, spend: { costUsd?: number } = {}): Promise<Job> {
      const value = parseInput(z.string().min(1).max(512), ref, 'providerRef');
      const costUsd = parseInput(costSchema.optional(), spend.costUsd, 'costUsd') ?? 0;
      return patch(held, { providerRef: value }, { message: `provider request ${value}`, attempt: held.attempts + 1, ...(costUsd > 0 ? { costUsd } : {}) });
    },

    /**
     * A step finished: records its output and moves the job on. The service picks the next status: after
     * COMPOSITING the review policy sends the job to REVIEW or on to SHOPIFY_PUSH.
     */
    async completeStep(held: Job, result: StepResult): Promise<Job> {
      const meta: StepMeta = {
        costUsd: result.costUsd,
        attempt: held.attempts + 1,
        ...(result.skipped ? { message: 'output already present; step skipped' } : {}),
      };
      if (held.status === 'COMPOSITING') return completeComposite(held, result.updates, meta);
      const to = nextStatus(held.status);
      if (to === null || !isStepStatus(held.status)) throw new JobkitError('INVALID_TRANSITION', `job ${held.id} is ${held.status}: no step to complete`);
      const updates: JobUpdates = held.status === 'SEGMENTING' ? { segmentWith: null, ...result.updates } : result.updates;
      return transition(held, to, updates, meta);
    },

    /** A hosted request is still running (webhook mode): wake the job after `delayMs` (or on the callback). */
    async deferStep(held: Job, delayMs: number, message = 'waiting for the provider'): Promise<Job> {
      return patch(
        held,
        { nextRunAt: new Date(now().getTime() + delayMs).toISOString(), leaseOwner: null, leaseExpiresAt: null },
        { message, attempt: held.attempts },
      );
    },

    /**
     * A step failed. BUDGET_EXCEEDED waits (never fails); a retryable error with tries left backs off
     * (the provider's Retry-After wins when longer); anything else fails the job.
     */
    async failStep(held: Job, error: JobkitError, options: { retry?: Omit<RetryDelayOptions, 'retryAfterMs'> | undefined } = {}): Promise<StepFailureOutcome> {
      const at = now().getTime();
      const message = error.message.slice(0, 4000);
      if (error.code === 'BUDGET_EXCEEDED') {
        const delayMs = error.retryAfterMs ?? 3_600_000;
        const job = await patch(
          held,
          { nextRunAt: new Date(at + delayMs).toISOString(), errorCode: error.code, errorMessage: message, leaseOwner: null, leaseExpiresAt: null },
          { errorCode: error.code, message, attempt: held.attempts },
        );
        return { kind: 'wait', job, delayMs };
      }
      const tried = { attempts: held.attempts + 1, maxAttempts: held.maxAttempts };
      if (error.retryable && canRetry(tried)) {
        const delayMs = getRetryDelay(tried.attempts, {
          ...retryOptions,
          ...options.retry,
          ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
        });
        const job = await patch(
          held,
          {
            attempts: tried.attempts,
            nextRunAt: new Date(at + delayMs).toISOString(),
            errorCode: error.code,
            errorMessage: message,
            leaseOwner: null,
            leaseExpiresAt: null,
          },
          { errorCode: error.code, message, attempt: tried.attempts },
        );
        return { kind: 'retry', job, delayMs };
      }
      return { kind: 'failed', job: await service.failHeld(held, error) };
    },

    /** Fails a held job with a recorded error. */
    async failHeld(held: Job, error: JobkitError | Error): Promise<Job> {
      const code = JobkitError.is(error) ? error.code : 'INTERNAL';
      return transition(
        held,
        'FAILED',
        { errorCode: code, errorMessage: error.message.slice(0, 4000), errorStack: error.stack?.slice(0, 20_000) ?? null },
        { errorCode: code, message: error.message.slice(0, 4000) },
      );
    },

    /** Spend since UTC midnight (from the event log, so it holds across processes): the daily budget reads it. */
    async spendToday(): Promise<{ spentUsd: number; dayEndsAt: Date }> {
      const midnight = utcMidnight(now());
      return { spentUsd: await store.spendSince(midnight), dayEndsAt: new Date(midnight.getTime() + 86_400_000) };
    },
  };
  return service;
}
