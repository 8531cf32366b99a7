/**
 * The worker: claims due jobs with a lease, runs their steps through the ports, and records each
 * result through JobService with the version it holds (a worker whose lease was taken over cannot write).
 *
 *   claim → [fetch original → segment → backgrounds → composite → storefront] → DONE
 *
 * Every step first looks for its output (object present, request already made) before paying a provider
 * again. The worker only runs steps: JobService decides what a result or an error means for the job (the
 * next status, review holds, retries with backoff, waiting for the budget).
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { nanoid } from 'nanoid';
import { JobkitError, invalidInput, type ErrorCode } from '../errors.js';
import type { Job, JobUpdates } from '../domain/job.js';
import { isStepStatus, type JobStatus } from '../domain/status.js';
import { contentTypeForKey, keys, parseCompositeKey } from '../domain/keys.js';
import type { JobService, StepFailureOutcome } from '../service/job-service.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { BackgroundGenerator, Compositor, ImageSource, ProviderContext, SegmentResult, Segmenter } from '../ports/providers.js';
import { isPending } from '../ports/providers.js';
import type { CutoutQuality, QualityGate } from '../ports/quality.js';
import { isSegmenterChain } from '../segment/segmenter-chain.js';
import { storefrontMarker, type Storefront } from '../ports/storefront.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { RetryDelayOptions } from '../retry-policy.js';
import { createLimiter, type Limiter, type LimitOptions } from './limiter.js';
import { createSingleFlight } from './single-flight.js';
import { extensionForContentType, fetchOriginal, type FetchOriginalOptions } from './fetch-original.js';
import type { WorkerEventName, WorkerEvents, WorkerListener } from './events.js';
import { IMAGE_EXTENSIONS } from '../domain/keys.js';

export interface WorkerOptions {
  service: JobService;
  objects: ObjectStore;
  /** A local segmenter, a hosted one, or `createSegmenterChain([local, hosted])`. */
  segmenter: Segmenter;
  /**
   * Scores cutouts that come without a quality of their own (hosted segmenters). Its score decides, with
   * the service's review policy, whether a job waits in REVIEW. Without it such cuts count as unscored.
   */
  qualityGate?: QualityGate;
  backgrounds: BackgroundGenerator;
  compositor: Compositor;
  storefront: Storefront;
  /** Jobs processed at once (default 4). */
  concurrency?: number;
  /** Lease length; renewed every leaseMs/3 while a step runs (default 60 s). */
  leaseMs?: number;
  /** Idle poll interval (default 1 s). Stores with notifications wake the worker sooner. */
  pollIntervalMs?: number;
  /** Lease owner id (default host-pid-random). */
  id?: string;
  retry?: Omit<RetryDelayOptions, 'retryAfterMs'>;
  /** Per-provider limits in this process, e.g. { segmenter: { concurrency: 4, perMinute: 600 } }. */
  limits?: { download?: LimitOptions; segmenter?: LimitOptions; backgrounds?: LimitOptions; storefront?: LimitOptions };
  /** Daily spend cap in USD, summed from the event log since UTC midnight. Reaching it makes jobs wait. */
  dailyBudgetUsd?: number;
  /** Download rules for imageUrl (the SSRF policy defaults to the service's). */
  download?: Omit<FetchOriginalOptions, 'signal'>;
  clock?: Clock;
  logger?: Logger;
}

export interface Worker {
  readonly id: string;
  start(): void;
  /** Stops claiming, lets in-flight steps finish within `timeoutMs`, then cancels the rest and releases leases. */
  stop(opts?: { timeoutMs?: number }): Promise<void>;
  /** Claims due jobs once and runs them until each waits, finishes or fails. Returns how many were claimed. */
  runOnce(): Promise<number>;
  /** runOnce until nothing is due (bounded by maxRounds). Returns the number of jobs claimed in all. */
  runUntilIdle(opts?: { maxRounds?: number }): Promise<number>;
  /** Wakes an idle worker (e.g. a job was queued). */
  wake(): void;
  on<E extends WorkerEventName>(event: E, listener: WorkerListener<E>): () => void;
  readonly running: boolean;
  readonly inFlight: number;
}

type StepOutcome = { kind: 'advance'; updates: JobUpdates; costUsd: number; skipped: boolean } | { kind: 'pending'; checkAfterMs: number };

interface Held {
  job: Job;
  controller: AbortController;
  lost: boolean;
  /** Serialises writes and lease renewals on this job (both bump the version). */
  chain: Promise<unknown>;
}

const STEP_ERROR: Record<string, ErrorCode> = {
  QUEUED: 'DOWNLOAD_FAILED',
  SEGMENTING: 'SEGMENT_FAILED',
  BG_GENERATING: 'BACKGROUND_FAILED',
  COMPOSITING: 'COMPOSITE_FAILED',
  SHOPIFY_PUSH: 'STOREFRONT_FAILED',
};

export function createWorker(opts: WorkerOptions): Worker {
  for (const name of ['service', 'objects', 'segmenter', 'backgrounds', 'compositor', 'storefront'] as const) {
    if (!opts?.[name]) throw invalidInput(name, 'is required');
  }
  const service = opts.service;
  const store = service.store;
  const objects = opts.objects;
  const clock = opts.clock ?? service.clock;
  const logger = (opts.logger ?? service.logger).child({ component: 'worker' });
  const concurrency = opts.concurrency ?? 4;
  const leaseMs = opts.leaseMs ?? 60_000;
  const pollIntervalMs = opts.pollIntervalMs ?? 1_000;
  const id = opts.id ?? `${hostname()}-${process.pid}-${nanoid(6)}`;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) throw invalidInput('concurrency', 'must be an integer 1..1000');
  if (!Number.isInteger(leaseMs) || leaseMs < 1000) throw invalidInput('leaseMs', 'must be an integer ≥ 1000');
  if (opts.dailyBudgetUsd !== undefined && !(opts.dailyBudgetUsd >= 0)) throw invalidInput('dailyBudgetUsd', 'must be ≥ 0');

  const limiters: Record<'download' | 'segmenter' | 'backgrounds' | 'storefront', Limiter> = {
    download: createLimiter(opts.limits?.download ?? { concurrency: 8 }),
    segmenter: createLimiter(opts.limits?.segmenter),
    backgrounds: createLimiter(opts.limits?.backgrounds),
    storefront: createLimiter(opts.limits?.storefront),
  };
  const segmentFlight = createSingleFlight<void>();
  const listeners = new Map<WorkerEventName, Set<(p: never) => void>>();
  const inflight = new Set<Promise<void>>();
  const held = new Set<Held>();
  let running = false;
  let loopPromise: Promise<void> | null = null;
  let wakeResolve: (() => void) | null = null;

  function emit<E extends WorkerEventName>(event: E, payload: WorkerEvents[E]): void {
    for (const l of listeners.get(event) ?? []) {
      try {
        (l as (p: WorkerEvents[E]) => void)(payload);
      } catch (e) {
        logger.error({ err: e, event }, 'worker event listener threw');
      }
    }
  }

  /** Runs `fn` with the latest held job, after any pending renewal, and stores the result as the held job. */
  function write(h: Held, fn: (job: Job) => Promise<Job>): Promise<Job> {
    const next = h.chain.then(async () => {
      if (h.lost) throw new JobkitError('CONFLICT', `lease on job ${h.job.id} was lost`);
      try {
        h.job = await fn(h.job);
        return h.job;
      } catch (e) {
        if (JobkitError.is(e, 'CONFLICT')) h.lost = true;
        throw e;
      }
    });
    h.chain = next.catch(() => undefined);
    return next;
  }

  function source(key: string): ImageSource {
    let cached: Promise<Buffer> | null = null;
    return {
      key,
      contentType: contentTypeForKey(key),
      bytes: () => (cached ??= objects.get(key)),
      publicUrl: async (expiresInSec = 3600) => (objects.publicUrls ? (await objects.presign(key, { method: 'GET', expiresInSec })).url : null),
    };
  }

  function providerContext(h: Held, jobLogger: Logger): ProviderContext {
    return {
      jobId: h.job.id,
      sku: h.job.sku,
      theme: h.job.theme,
      signal: h.controller.signal,
      logger: jobLogger,
      clock,
      previousRef: h.job.providerRef,
      recordRef: async (ref: string, spend?: { costUsd: number }) => {
        await write(h, (job) => service.recordProviderRef(job, ref, spend));
      },
    };
  }

  async function checkBudget(): Promise<void> {
    if (opts.dailyBudgetUsd === undefined) return;
    const { spentUsd, dayEndsAt } = await service.spendToday();
    if (spentUsd >= opts.dailyBudgetUsd) {
      throw new JobkitError('BUDGET_EXCEEDED', `daily budget of $${opts.dailyBudgetUsd} reached ($${spentUsd.toFixed(4)} spent since UTC midnight)`, {
        retryAfterMs: dayEndsAt.getTime() - clock.now().getTime(),
      });
    }
  }

  /** The stored original's bytes, refused when they do not hash to the job's sha256 (a later upload may have replaced them). */
  async function verifiedOriginal(key: string, sha256: string): Promise<Buffer> {
    const bytes = await objects.get(key).catch((e) => {
      throw JobkitError.is(e, 'NOT_FOUND') ? new JobkitError('DOWNLOAD_FAILED', `original ${key} is not in the object store`, { retryable: false }) : e;
    });
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== sha256) throw new JobkitError('CHECKSUM_MISMATCH', `stored original ${key} hashes to ${sha}, expected ${sha256}`);
    return bytes;
  }

  // ---- the steps ----

  async function stepFetch(h: Held): Promise<StepOutcome> {
    const job = h.job;
    if (job.originalKey) {
      // Uploaded original: it must exist and match the announced sha256.
      await verifiedOriginal(job.originalKey, job.sha256);
      return { kind: 'advance', updates: {}, costUsd: 0, skipped: true };
    }
    // Another theme of the same photo (or an earlier try) may have stored the original already — reused
    // only when its bytes still hash to the job's sha256.
    for (const ext of IMAGE_EXTENSIONS) {
      const key = keys.original(job, ext);
      if (await objects.exists(key)) {
        await verifiedOriginal(key, job.sha256);
        return { kind: 'advance', updates: { originalKey: key }, costUsd: 0, skipped: true };
      }
    }
    if (!job.imageUrl) throw new JobkitError('DOWNLOAD_FAILED', 'job has neither imageUrl nor originalKey', { retryable: false });
    const fetched = await limiters.download.run(
      () => fetchOriginal(job.imageUrl!, job.sha256, { addressPolicy: service.addressPolicy, ...opts.download, signal: h.controller.signal }),
      h.controller.signal,
    );
    const key = keys.original(job, extensionForContentType(fetched.contentType));
    await objects.put(key, fetched.bytes, { contentType: fetched.contentType });
    return { kind: 'advance', updates: { originalKey: key }, costUsd: 0, skipped: false };
  }

  /** A stored verdict; an unreadable one counts as none (the gate, or review, decides then). */
  function parseQuality(bytes: Buffer): CutoutQuality | null {
    try {
      const q = JSON.parse(bytes.toString('utf8')) as Partial<CutoutQuality>;
      if (typeof q.score === 'number' && q.score >= 0 && q.score <= 1 && Array.isArray(q.reasons)) return { score: q.score, reasons: q.reasons.map(String) };
    } catch {
      // fall through
    }
    return null;
  }

  /** The stored quality of a photo's cutout: its sidecar, else (a cutout stored by 0.1) the gate's verdict now. */
  async function storedQuality(job: Job, maskKey: string, signal: AbortSignal, jobLogger: Logger): Promise<CutoutQuality | null> {
    const sidecar = keys.maskQuality(job);
    if (await objects.exists(sidecar)) return parseQuality(await objects.get(sidecar));
    if (!opts.qualityGate || !job.originalKey) return null;
    const [original, cutout] = await Promise.all([objects.get(job.originalKey), objects.get(maskKey)]);
    return opts.qualityGate.assess({ original, cutout }, { signal, logger: jobLogger });
  }

  async function scoreCut(job: Job, result: SegmentResult, signal: AbortSignal, jobLogger: Logger): Promise<CutoutQuality | null> {
    if (result.quality) return result.quality;
    if (!opts.qualityGate) return null;
    return opts.qualityGate.assess({ original: await source(job.originalKey!).bytes(), cutout: result.cutout }, { signal, logger: jobLogger });
  }

  async function stepSegment(h: Held, jobLogger: Logger): Promise<StepOutcome> {
    const job = h.job;
    const maskKey = keys.mask(job);
    const signal = h.controller.signal;
    // An operator rejected the stored cut and asked for the hosted segmenter: the stored mask is the
    // rejected one, so it is replaced, and this theme's composites of it are removed so they are re-rendered.
    const resegment = job.segmentWith === 'hosted';
    if (resegment && !isSegmenterChain(opts.segmenter)) {
      throw new JobkitError(
        'SEGMENT_FAILED',
        `this job asks for the hosted segmenter (rejected in review) but the worker's segmenter "${opts.segmenter.name}" has none; configure createSegmenterChain([local, hosted])`,
        { retryable: false },
      );
    }
    if (!resegment && (await objects.exists(maskKey))) {
      return { kind: 'advance', updates: { maskKey, quality: await storedQuality(job, maskKey, signal, jobLogger) }, costUsd: 0, skipped: true };
    }
    if (resegment) {
      const stale = opts.compositor.plan?.({ sku: job.sku, sha256: job.sha256, theme: job.theme }) ?? [];
      await Promise.all(stale.map((o) => objects.delete(o.key)));
    }
    let cost = 0;
    let quality: CutoutQuality | null = null;
    let pending: StepOutcome | null = null;
    // One segmentation per photo: other themes of it in this process wait for the leader's result.
    const { leader } = await segmentFlight.do(resegment ? `${maskKey}#hosted` : maskKey, async () => {
      if (!resegment && (await objects.exists(maskKey))) return;
      await checkBudget();
      const result = await limiters.segmenter.run(
        () =>
          opts.segmenter.segment(
            { sku: job.sku, sha256: job.sha256, original: source(job.originalKey!), ...(resegment ? { prefer: 'hosted' as const } : {}) },
            providerContext(h, jobLogger),
          ),
        signal,
      );
      if (isPending(result)) {
        pending = { kind: 'pending', checkAfterMs: result.checkAfterMs };
        return;
      }
      quality = await scoreCut(job, result, signal, jobLogger);
      // The verdict first, the mask last: a stored mask always has its verdict beside it.
      if (quality) await objects.put(keys.maskQuality(job), Buffer.from(JSON.stringify(quality)), { contentType: 'application/json' });
      else await objects.delete(keys.maskQuality(job));
      await objects.put(maskKey, result.cutout, { contentType: 'image/png' });
      cost = result.costUsd;
    });
    if (pending) return pending;
    if (!leader) {
      if (!(await objects.exists(maskKey))) throw new JobkitError('SEGMENT_FAILED', 'the shared segmentation of this photo did not produce a mask; will retry');
      quality = await storedQuality(job, maskKey, signal, jobLogger);
    }
    return { kind: 'advance', updates: { maskKey, quality }, costUsd: leader ? cost : 0, skipped: !leader };
  }

  async function stepBackgrounds(h: Held, jobLogger: Logger): Promise<StepOutcome> {
    const job = h.job;
    const count = opts.compositor.variants;
    const bgKeys = Array.from({ length: count }, (_, i) => keys.background(job, i + 1));
    const present = await Promise.all(bgKeys.map((k) => objects.exists(k)));
    if (present.every(Boolean)) return { kind: 'advance', updates: { backgroundKeys: bgKeys }, costUsd: 0, skipped: true };
    await checkBudget();
    const size = opts.compositor.backgroundSize();
    const result = await limiters.backgrounds.run(
      () =>
        opts.backgrounds.generate(
          { sku: job.sku, sha256: job.sha256, theme: job.theme, count, width: size.width, height: size.height, cutout: source(job.maskKey!) },
          providerContext(h, jobLogger),
        ),
      h.controller.signal,
    );
    if (isPending(result)) return { kind: 'pending', checkAfterMs: result.checkAfterMs };
    if (result.backgrounds.length < count)
      throw new JobkitError('BACKGROUND_FAILED', `generator returned ${result.backgrounds.length} backgrounds, expected ${count}`);
    await Promise.all(bgKeys.map((k, i) => objects.put(k, result.backgrounds[i]!, { contentType: 'image/jpeg' })));
    return { kind: 'advance', updates: { backgroundKeys: bgKeys }, costUsd: result.costUsd, skipped: false };
  }

  async function stepComposite(h: Held, jobLogger: Logger): Promise<StepOutcome> {
    const job = h.job;
    const photo = { sku: job.sku, sha256: job.sha256, theme: job.theme };
    const byRole = (list: Array<{ key: string; role: string }>) => ({
      compositeKeys: list.filter((o) => o.role === 'master').map((o) => o.key),
      thumbnailKeys: list.filter((o) => o.role === 'thumbnail').map((o) => o.key),
      derivativeKeys: list.filter((o) => o.role === 'derivative').map((o) => o.key),
    });
    // A job segmented by 0.1 carries no verdict yet: score its cutout now, before the review decision.
    const scored = job.quality === null && job.maskKey ? { quality: await storedQuality(job, job.maskKey, h.controller.signal, jobLogger) } : {};
    const plan = opts.compositor.plan?.(photo);
    if (plan && plan.length > 0) {
      const present = await Promise.all(plan.map((o) => objects.exists(o.key)));
      if (present.every(Boolean)) return { kind: 'advance', updates: { ...byRole(plan), ...scored }, costUsd: 0, skipped: true };
    }
    const [cutout, ...backgrounds] = await Promise.all([objects.get(job.maskKey!), ...job.backgroundKeys.map((k) => objects.get(k))]);
    const { outputs } = await opts.compositor.composite({ photo, cutout: cutout!, backgrounds }, { signal: h.controller.signal, logger: jobLogger });
    // Masters last: a master present means its thumbnails and derivatives were stored before it.
    const ordered = [...outputs.filter((o) => o.role !== 'master'), ...outputs.filter((o) => o.role === 'master')];
    for (let i = 0; i < ordered.length; i += 4) {
      await Promise.all(ordered.slice(i, i + 4).map((o) => objects.put(o.key, o.bytes, { contentType: o.contentType })));
    }
    return { kind: 'advance', updates: { ...byRole(outputs), ...scored }, costUsd: 0, skipped: false };
  }

  async function stepPush(h: Held, jobLogger: Logger): Promise<StepOutcome> {
    const job = h.job;
    const images = job.compositeKeys.map((key) => {
      const parsed = parseCompositeKey(key);
      const aspect = parsed?.aspect ?? 'custom';
      const variant = parsed?.variant ?? 1;
      return { key, aspect, variant, source: source(key), marker: storefrontMarker(job.id, aspect, variant) };
    });
    await checkBudget();
    const result = await limiters.storefront.run(
      () => opts.storefront.push({ jobId: job.id, sku: job.sku, theme: job.theme, images }, providerContext(h, jobLogger)),
      h.controller.signal,
    );
    if (result.mediaIds.length !== images.length) {
      throw new JobkitError('STOREFRONT_FAILED', `storefront returned ${result.mediaIds.length} media ids for ${images.length} images`);
    }
    return { kind: 'advance', updates: { storefrontMediaIds: result.mediaIds }, costUsd: result.costUsd, skipped: false };
  }

  async function runStep(h: Held, jobLogger: Logger): Promise<StepOutcome> {
    switch (h.job.status) {
      case 'QUEUED':
        return stepFetch(h);
      case 'SEGMENTING':
        return stepSegment(h, jobLogger);
      case 'BG_GENERATING':
        return stepBackgrounds(h, jobLogger);
      case 'COMPOSITING':
        return stepComposite(h, jobLogger);
      case 'SHOPIFY_PUSH':
        return stepPush(h, jobLogger);
      default:
        throw new JobkitError('INVALID_TRANSITION', `no step for status ${h.job.status}`);
    }
  }

  async function handleError(h: Held, raw: unknown, from: JobStatus, jobLogger: Logger): Promise<void> {
    let err = JobkitError.from(raw, STEP_ERROR[from] ?? 'INTERNAL');
    if (!JobkitError.is(raw) && (raw as { name?: string })?.name === 'AbortError') err = new JobkitError('CANCELLED', 'step cancelled', { cause: raw });
    if (h.lost || (JobkitError.is(raw, 'CONFLICT') && h.lost)) {
      jobLogger.warn({ err: err.message }, 'lease lost; dropping the step result');
      emit('error', { error: err, jobId: h.job.id });
      return;
    }
    if (err.code === 'CANCELLED' || h.controller.signal.aborted) {
      jobLogger.info({}, 'step cancelled; releasing the job');
      return;
    }
    try {
      let outcome: StepFailureOutcome | undefined;
      const job = await write(h, async (j) => {
        outcome = await service.failStep(j, err, { retry: opts.retry });
        return outcome.job;
      });
      if (outcome?.kind === 'failed') {
        jobLogger.error({ code: err.code, message: err.message }, 'job failed');
        emit('job:failed', { job, error: err });
      } else if (outcome) {
        if (outcome.kind === 'retry') jobLogger.warn({ code: err.code, attempt: job.attempts, delayMs: outcome.delayMs }, 'step failed; will retry');
        emit('job:retry', { job, error: err, delayMs: outcome.delayMs });
      }
    } catch (e) {
      emit('error', { error: e as Error, jobId: h.job.id });
    }
  }

  async function runJob(claimed: Job): Promise<void> {
    const h: Held = { job: claimed, controller: new AbortController(), lost: false, chain: Promise.resolve() };
    held.add(h);
    const jobLogger = logger.child({ jobId: claimed.id, sku: claimed.sku });
    const renewEvery = Math.max(250, Math.floor(leaseMs / 3));
    const timer = setInterval(() => {
      void write(h, (job) => service.renewLease(job, id, leaseMs)).catch((e) => {
        if (h.lost) {
          h.controller.abort(new JobkitError('CONFLICT', 'lease lost'));
          emit('error', { error: e as Error, jobId: claimed.id });
        }
      });
    }, renewEvery);
    timer.unref?.();
    try {
      while (isStepStatus(h.job.status) && !h.lost && !h.controller.signal.aborted) {
        const from = h.job.status;
        const t0 = Date.now();
        let outcome: StepOutcome;
        try {
          outcome = await runStep(h, jobLogger);
        } catch (e) {
          await handleError(h, e, from, jobLogger);
          break;
        }
        try {
          if (outcome.kind === 'pending') {
            const checkAfterMs = outcome.checkAfterMs;
            const job = await write(h, (j) => service.deferStep(j, checkAfterMs));
            emit('job:pending', { job, checkAfterMs });
            break;
          }
          const { costUsd, skipped } = outcome;
          const job = await write(h, (j) => service.completeStep(j, outcome));
          emit('job:step', { job, from, durationMs: Date.now() - t0, costUsd, skipped });
          if (job.status === 'DONE') emit('job:done', { job });
        } catch (e) {
          await handleError(h, e, from, jobLogger);
          break;
        }
        if (!running && loopPromise !== null) break; // stopping: finish this step only
      }
    } finally {
      clearInterval(timer);
      await h.chain;
      if (!h.lost && h.job.leaseOwner === id && isStepStatus(h.job.status)) {
        await service.releaseLease(h.job, id).catch((e) => emit('error', { error: e as Error, jobId: h.job.id }));
      }
      held.delete(h);
    }
  }

  function track(p: Promise<void>): void {
    const t = p
      .catch((e) => emit('error', { error: e as Error }))
      .finally(() => {
        inflight.delete(t);
        worker.wake();
      });
    inflight.add(t);
  }

  async function claim(limit: number): Promise<Job[]> {
    if (limit <= 0) return [];
    try {
      return await service.claimJobs({ owner: id, leaseMs, limit });
    } catch (e) {
      emit('error', { error: e as Error });
      logger.error({ err: (e as Error).message }, 'claim failed');
      return [];
    }
  }

  async function loop(): Promise<void> {
    while (running) {
      const claimed = await claim(concurrency - inflight.size);
      for (const job of claimed) track(runJob(job));
      if (!running) break;
      if (claimed.length === 0 || inflight.size >= concurrency) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, pollIntervalMs);
          wakeResolve = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wakeResolve = null;
      }
    }
  }

  const notify = (store as { onJobAvailable?: (cb: () => void) => () => void }).onJobAvailable;
  let unsubscribe: (() => void) | null = null;

  const worker: Worker = {
    id,
    get running() {
      return running;
    },
    get inFlight() {
      return inflight.size;
    },
    start() {
      if (running) return;
      running = true;
      if (typeof notify === 'function') unsubscribe = notify.call(store, () => worker.wake());
      loopPromise = loop();
      logger.info({ workerId: id, concurrency, leaseMs }, 'worker started');
    },
    async stop({ timeoutMs = 30_000 } = {}) {
      running = false;
      unsubscribe?.();
      unsubscribe = null;
      worker.wake();
      await loopPromise;
      const all = Promise.allSettled([...inflight]);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs)))]);
      clearTimeout(timer);
      if (timedOut) {
        for (const h of held) h.controller.abort(new JobkitError('CANCELLED', 'worker stopping'));
        await Promise.race([all, new Promise((r) => setTimeout(r, 5_000).unref?.())]);
      }
      loopPromise = null;
      logger.info({ workerId: id }, 'worker stopped');
    },
    async runOnce() {
      const claimed = await claim(concurrency);
      await Promise.all(claimed.map((job) => runJob(job).catch((e) => emit('error', { error: e as Error, jobId: job.id }))));
      return claimed.length;
    },
    async runUntilIdle({ maxRounds = 1000 } = {}) {
      let total = 0;
      for (let i = 0; i < maxRounds; i++) {
        const n = await worker.runOnce();
        if (n === 0) break;
        total += n;
      }
      return total;
    },
    wake() {
      wakeResolve?.();
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (p: never) => void);
      listeners.set(event, set);
      return () => set.delete(listener as (p: never) => void);
    },
  };
  return worker;
}
