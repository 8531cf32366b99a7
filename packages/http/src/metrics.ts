/**
 * Prometheus metrics on a dedicated prom-client Registry (never the global one, so two routers or a host
 * application's own metrics never collide). Job gauges are refreshed from `service.getJobStats()` on each
 * scrape; step durations, provider calls and errors are counted from the worker's events
 * (`instrumentWorker`). Labels are bounded: step, status, code, outcome — never a SKU or a job id.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { JOB_STATUSES, JobkitError, invalidInput, type JobStats, type JobStatus, type Logger, type JobService, type Worker } from 'jobkit';
import { jsonResponse, type JobkitResponse } from './exchange.js';

/** Step label of each worker step (the status the job is in while the step runs). */
export const STEP_LABELS: Readonly<Partial<Record<JobStatus, string>>> = {
  QUEUED: 'fetch',
  SEGMENTING: 'segment',
  BG_GENERATING: 'background',
  COMPOSITING: 'composite',
  SHOPIFY_PUSH: 'storefront',
};

export function stepLabel(status: JobStatus | null | undefined): string {
  return (status && STEP_LABELS[status]) ?? 'unknown';
}

export interface JobkitMetricsOptions {
  service: JobService;
  /** Metric name prefix (default `jobkit_`). */
  prefix?: string;
  /** Also collect prom-client's process metrics (CPU, memory, event loop lag) into the registry. Default false. */
  defaultMetrics?: boolean;
  /** Histogram buckets of step durations, seconds. */
  durationBuckets?: number[];
  /** Logs a failed stats refresh (default: the service's logger). */
  logger?: Logger;
}

export interface JobkitMetrics {
  readonly registry: Registry;
  /** `text/plain; version=0.0.4; charset=utf-8` */
  readonly contentType: string;
  /** The exposition text; refreshes the job gauges first. Rejects when the job store cannot be read. */
  render(): Promise<string>;
  /** A finished step (skipped = its output already existed: no provider call, no duration sample). */
  recordStep(step: JobStatus, durationMs: number, skipped: boolean): void;
  /** A failed provider call: `outcome` retry (the job waits) or failed (the job failed). */
  recordError(step: JobStatus | null, code: string, outcome: 'retry' | 'failed'): void;
  /** An error outside a job's control (store unreachable, lease lost …). */
  recordWorkerError(): void;
  /** The quality score of a finished cutout (0..1). */
  recordCutoutQuality(score: number): void;
}

const DEFAULT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Scores are 0..1; finer near the default review threshold (0.6), where a shop tunes it. */
const QUALITY_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9, 0.95, 1];

export function createJobkitMetrics(opts: JobkitMetricsOptions): JobkitMetrics {
  if (!opts?.service || typeof opts.service.getJobStats !== 'function') throw invalidInput('service', 'a JobService is required');
  const prefix = opts.prefix ?? 'jobkit_';
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(`${prefix}x`)) throw invalidInput('prefix', 'must be a valid Prometheus metric name prefix');
  const service = opts.service;
  const logger = opts.logger ?? service.logger;
  const registry = new Registry();
  const registers = [registry];
  if (opts.defaultMetrics === true) collectDefaultMetrics({ register: registry, prefix });

  // One stats read per scrape: every gauge's collect() runs in the same tick and shares the promise.
  let pending: Promise<JobStats> | null = null;
  const stats = (): Promise<JobStats> => {
    pending ??= service.getJobStats().finally(() => {
      pending = null;
    });
    return pending;
  };

  new Gauge({
    name: `${prefix}jobs`,
    help: 'Jobs by status (live jobs, cleaned-up tombstones excluded).',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      const s = await stats();
      for (const status of JOB_STATUSES) this.set({ status }, s.byStatus[status] ?? 0);
    },
  });
  new Gauge({
    name: `${prefix}queue_depth`,
    help: 'Jobs waiting in QUEUED.',
    registers,
    async collect() {
      this.set((await stats()).byStatus.QUEUED ?? 0);
    },
  });
  new Gauge({
    name: `${prefix}oldest_queued_job_age_seconds`,
    help: 'Age of the oldest QUEUED job (0 when none).',
    registers,
    async collect() {
      const oldest = (await stats()).oldestQueuedAt;
      const age = oldest ? Math.max(0, (service.clock.now().getTime() - Date.parse(oldest)) / 1000) : 0;
      this.set(age);
    },
  });
  new Gauge({
    name: `${prefix}spend_usd`,
    help: 'Provider spend in USD: period="total" over live jobs, period="today" since UTC midnight.',
    labelNames: ['period'] as const,
    registers,
    async collect() {
      const s = await stats();
      this.set({ period: 'total' }, s.costUsdTotal);
      this.set({ period: 'today' }, s.costUsdToday);
    },
  });
  new Gauge({
    name: `${prefix}failure_rate`,
    help: 'FAILED / (DONE + FAILED) over live jobs.',
    registers,
    async collect() {
      this.set((await stats()).failureRate);
    },
  });

  const durations = new Histogram({
    name: `${prefix}step_duration_seconds`,
    help: 'Duration of worker steps that did work (skipped steps excluded).',
    labelNames: ['step'] as const,
    buckets: opts.durationBuckets ?? DEFAULT_BUCKETS,
    registers,
  });
  const calls = new Counter({
    name: `${prefix}provider_calls_total`,
    help: 'Worker steps that called their provider (download, segmenter, background generator, compositor, storefront), successful or not.',
    labelNames: ['step'] as const,
    registers,
  });
  const errors = new Counter({
    name: `${prefix}provider_errors_total`,
    help: 'Failed steps by error code; outcome="retry" (the job waits) or "failed" (the job failed).',
    labelNames: ['step', 'code', 'outcome'] as const,
    registers,
  });
  const skipped = new Counter({
    name: `${prefix}steps_skipped_total`,
    help: 'Steps whose output already existed (a re-run after a crash): no provider call.',
    labelNames: ['step'] as const,
    registers,
  });
  const quality = new Histogram({
    name: `${prefix}cutout_quality_score`,
    help: 'Quality score of each finished cutout (0..1); low scores wait in REVIEW under the default policy.',
    buckets: QUALITY_BUCKETS,
    registers,
  });
  const workerErrors = new Counter({
    name: `${prefix}worker_errors_total`,
    help: 'Worker errors outside a job (store unreachable, lease lost).',
    registers,
  });
  // Pre-create the label sets so a counter reads 0 before its first event (rate() needs the series).
  for (const step of Object.values(STEP_LABELS)) {
    calls.inc({ step }, 0);
    skipped.inc({ step }, 0);
  }

  return {
    registry,
    contentType: registry.contentType,
    async render() {
      try {
        return await registry.metrics();
      } catch (e) {
        logger.error({ err: e instanceof Error ? e.message : String(e) }, 'metrics: reading job stats failed');
        throw new JobkitError('STORAGE_FAILED', 'metrics unavailable: the job store could not be read', { cause: e });
      }
    },
    recordStep(step, durationMs, wasSkipped) {
      const label = stepLabel(step);
      if (wasSkipped) {
        skipped.inc({ step: label });
        return;
      }
      calls.inc({ step: label });
      durations.observe({ step: label }, Math.max(0, durationMs) / 1000);
    },
    recordError(step, code, outcome) {
      const label = stepLabel(step);
      // The budget cap stops a job before its provider is called.
      if (code !== 'BUDGET_EXCEEDED') calls.inc({ step: label });
      errors.inc({ step: label, code: /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : 'INTERNAL', outcome });
    },
    recordWorkerError() {
      workerErrors.inc();
    },
    recordCutoutQuality(score) {
      if (Number.isFinite(score)) quality.observe(Math.min(1, Math.max(0, score)));
    },
  };
}

/**
 * Counts a worker's events into `metrics`. Returns a function that stops listening.
 *   job:step   → step duration, provider call (or skipped step); after SEGMENTING, the cutout's quality score
 *   job:retry  → provider error, outcome="retry" (step = the status the job stays in)
 *   job:failed → provider error, outcome="failed" (step = job.failedStatus)
 *   error      → worker error
 */
export function instrumentWorker(worker: Pick<Worker, 'on'>, metrics: JobkitMetrics): () => void {
  const offs = [
    worker.on('job:step', (e) => {
      metrics.recordStep(e.from, e.durationMs, e.skipped);
      if (e.from === 'SEGMENTING' && !e.skipped && e.job.quality) metrics.recordCutoutQuality(e.job.quality.score);
    }),
    worker.on('job:retry', (e) => metrics.recordError(e.job.status, e.error.code, 'retry')),
    worker.on('job:failed', (e) => metrics.recordError(e.job.failedStatus, e.error.code, 'failed')),
    worker.on('error', () => metrics.recordWorkerError()),
  ];
  return () => {
    for (const off of offs) off();
  };
}

/** GET /metrics: the exposition text; 503 (target down) when the job store cannot be read. */
export async function metricsResponse(metrics: JobkitMetrics): Promise<JobkitResponse> {
  try {
    const text = await metrics.render();
    return { status: 200, headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' }, body: text };
  } catch (e) {
    // 503, not 500: the scraper should mark the target down; the cause is logged by render().
    return jsonResponse(503, { error: { code: JobkitError.is(e) ? e.code : 'INTERNAL', message: 'metrics unavailable' } });
  }
}
