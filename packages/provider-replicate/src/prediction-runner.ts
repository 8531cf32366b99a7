/**
 * One paid prediction per step, resumable: resume `ctx.previousRef` when it can still give a result,
 * otherwise create (rate limited) and record the id before any waiting; then either wait (sync) or
 * hand back a PendingResult (webhook); download the outputs at once; report cost. See provider-ref.ts
 * for when a recorded prediction counts as spent.
 */
import type { Prediction } from 'replicate';
import { JobkitError, type PendingResult, type ProviderContext } from 'jobkit';
import { toJobkitError, type StepErrorCode } from './error-mapping.js';
import { downloadOutput, isGoneError, outputUrls } from './output-download.js';
import { predictionCost, type Pricing } from './pricing.js';
import { activeRef, parseProviderRef, spentRef } from './provider-ref.js';
import { webhookUrlFor, type ReplicateRuntime } from './runtime.js';
import { formatModelRef, type ModelRef } from './model-ref.js';

export interface PredictionTask {
  step: StepErrorCode;
  model: ModelRef;
  pricing: Pricing;
  /** Built only when a new prediction is created (a resume needs no input). */
  buildInput: () => Promise<Record<string, unknown>>;
  /** Minimum number of outputs a successful prediction must have (default 1). */
  expectedOutputs?: number;
}

export interface PredictionOutcome {
  predictionId: string;
  outputs: Buffer[];
  costUsd: number;
}

type Status = Prediction['status'];
const TERMINAL: readonly Status[] = ['succeeded', 'failed', 'canceled', 'aborted'];
export const isTerminal = (status: Status): boolean => TERMINAL.includes(status);

/** Replicate's infrastructure failures ask for a retry; anything else is the model rejecting the input. */
const TRANSIENT_FAILURE = /interrupted|please retry|timed? ?out|temporar(il)?y|unavailable|internal (server )?error/i;

const PREDICTION_ID = /^[A-Za-z0-9_-]{1,128}$/;

function asPrediction(value: unknown, step: StepErrorCode): Prediction {
  const p = value as Partial<Prediction> | null;
  if (!p || typeof p !== 'object' || typeof p.id !== 'string' || !PREDICTION_ID.test(p.id) || typeof p.status !== 'string') {
    throw new JobkitError(step, 'Replicate returned a malformed prediction', { retryable: true });
  }
  return p as Prediction;
}

/** Seconds Replicate bills: `metrics.predict_time`, else the span from started_at to completed_at. */
function activeSeconds(p: Prediction): number | undefined {
  const reported = p.metrics?.predict_time;
  if (typeof reported === 'number' && Number.isFinite(reported)) return reported;
  const started = p.started_at ? Date.parse(p.started_at) : NaN;
  const ended = p.completed_at ? Date.parse(p.completed_at) : NaN;
  return Number.isFinite(started) && Number.isFinite(ended) && ended > started ? (ended - started) / 1000 : undefined;
}

/** Images Replicate bills a per-output model for: `metrics.image_count` (official models), else the outputs listed. */
function imageCount(p: Prediction): number {
  const reported = (p.metrics as { image_count?: unknown } | undefined)?.image_count;
  if (typeof reported === 'number' && Number.isInteger(reported) && reported >= 0) return reported;
  if (p.status !== 'succeeded') return 0;
  return Array.isArray(p.output) ? p.output.length : p.output ? 1 : 0;
}

function errorText(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error === undefined || error === null) return 'no error message';
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

export async function runPrediction(rt: ReplicateRuntime, task: PredictionTask, ctx: ProviderContext): Promise<PredictionOutcome | PendingResult> {
  const { step } = task;
  const model = formatModelRef(task.model);
  const log = ctx.logger.child({ provider: 'replicate', model });
  const mapCtx = (action: string, signal: AbortSignal | undefined = ctx.signal) => ({ step, action, signal, now: ctx.clock.now() });
  const requestSignal = (): AbortSignal => AbortSignal.any([ctx.signal, AbortSignal.timeout(rt.requestTimeoutMs)]);

  const getPrediction = async (id: string): Promise<Prediction> => {
    try {
      return asPrediction(await rt.client.predictions.get(id, { signal: requestSignal() }), step);
    } catch (err) {
      throw toJobkitError(err, mapCtx(`polling prediction ${id}`));
    }
  };

  const cancelQuietly = async (id: string): Promise<void> => {
    try {
      // Not tied to ctx.signal: the step is usually being aborted when we get here.
      await rt.client.predictions.cancel(id, { signal: AbortSignal.timeout(rt.requestTimeoutMs) });
      log.info({ predictionId: id }, 'replicate prediction canceled');
    } catch (err) {
      log.warn({ predictionId: id, err: String(err) }, 'could not cancel replicate prediction');
    }
  };

  const cancelled = async (id: string): Promise<never> => {
    await cancelQuietly(id);
    throw new JobkitError('CANCELLED', `step cancelled; Replicate prediction ${id} was canceled`, { details: { predictionId: id } });
  };

  /** What Replicate bills for `p`: its active time (per-second models) or the images it returned (per-output). */
  const billed = (p: Prediction): number => predictionCost(task.pricing, activeSeconds(p), imageCount(p));

  /**
   * Marks `p` spent and records what it cost in the same write: a later try sees the mark and neither
   * resumes it nor counts it again. Throws when the write fails (the next try then records it).
   */
  const recordSpent = async (p: Prediction): Promise<number> => {
    const costUsd = billed(p);
    await ctx.recordRef(spentRef(p.id), costUsd > 0 ? { costUsd } : undefined);
    if (costUsd > 0) log.info({ predictionId: p.id, status: p.status, costUsd }, 'replicate prediction billed without a usable result; cost recorded');
    return costUsd;
  };

  /** recordSpent on the way to reporting a failure: a failed write is logged, the failure still thrown. */
  const markSpent = async (p: Prediction): Promise<number> => {
    try {
      return await recordSpent(p);
    } catch (err) {
      log.warn({ predictionId: p.id, err: String(err) }, 'could not mark the replicate prediction as spent');
      return billed(p);
    }
  };

  /** The recorded prediction when it can still give a result, else null (a new one is needed). */
  const resume = async (): Promise<Prediction | null> => {
    if (!ctx.previousRef) return null;
    const ref = parseProviderRef(ctx.previousRef);
    if (!ref) {
      log.warn({ providerRef: ctx.previousRef }, 'ignoring a provider ref that is not a Replicate prediction id');
      return null;
    }
    if (ref.spent) return null;
    let p: Prediction;
    try {
      p = await getPrediction(ref.predictionId);
    } catch (err) {
      if (JobkitError.is(err) && err.details?.status === 404) {
        log.warn({ predictionId: ref.predictionId }, 'recorded replicate prediction not found; creating a new one');
        return null;
      }
      throw err;
    }
    if (p.status === 'canceled' || p.status === 'aborted') {
      // Billed for the time it ran before the cancel.
      log.info({ predictionId: p.id, status: p.status }, 'recorded replicate prediction was canceled; creating a new one');
      await recordSpent(p);
      return null;
    }
    if (p.status === 'succeeded' && p.data_removed) {
      log.warn({ predictionId: p.id }, 'recorded replicate prediction outputs were already deleted; creating a new one');
      await recordSpent(p);
      return null;
    }
    log.info({ predictionId: p.id, status: p.status }, 'resuming replicate prediction');
    return p;
  };

  const create = async (): Promise<Prediction> => {
    const input = await task.buildInput();
    const webhook = rt.mode === 'webhook' ? { webhook: webhookUrlFor(rt, ctx.jobId), webhook_events_filter: ['completed' as const] } : {};
    const wait = rt.mode === 'sync' && rt.syncWaitSec > 0 ? rt.syncWaitSec : false;
    // Deliberately not aborted by ctx.signal: once sent, the run may exist; we want its id to cancel it.
    const signal = AbortSignal.timeout(rt.requestTimeoutMs + (wait ? wait * 1000 : 0));
    const target = task.model.version ? { version: task.model.version } : { model: `${task.model.owner}/${task.model.name}` };
    let created: Prediction;
    try {
      created = asPrediction(await rt.gate.run(() => rt.client.predictions.create({ ...target, input, ...webhook, wait, signal }), ctx.signal), step);
    } catch (err) {
      const e = toJobkitError(err, mapCtx('creating a prediction', undefined));
      if (e.code === 'RATE_LIMITED' && e.retryAfterMs !== undefined && e.details?.source !== 'replicate-reset') {
        rt.gate.pauseUntil(ctx.clock.now().getTime() + e.retryAfterMs);
      }
      throw e;
    }
    try {
      await ctx.recordRef(activeRef(created.id));
    } catch (err) {
      // Nobody could resume it: stop paying for it.
      await cancelQuietly(created.id);
      throw err;
    }
    log.info({ predictionId: created.id, status: created.status }, 'replicate prediction created');
    if (ctx.signal.aborted) return cancelled(created.id);
    return created;
  };

  const waitFor = async (initial: Prediction): Promise<Prediction> => {
    const deadline = ctx.clock.now().getTime() + rt.timeoutMs;
    let interval = rt.pollInitialMs;
    let errors = 0;
    for (;;) {
      const remaining = deadline - ctx.clock.now().getTime();
      if (remaining <= 0) {
        // The prediction keeps running and the ref stays recorded: the next try resumes it.
        throw new JobkitError('PROVIDER_TIMEOUT', `Replicate prediction ${initial.id} did not finish within ${rt.timeoutMs} ms`, {
          details: { predictionId: initial.id },
        });
      }
      try {
        await rt.sleep(Math.min(interval, remaining), ctx.signal);
      } catch (err) {
        if (ctx.signal.aborted) return cancelled(initial.id);
        throw err;
      }
      let p: Prediction;
      try {
        p = await getPrediction(initial.id);
      } catch (err) {
        if (ctx.signal.aborted || (JobkitError.is(err) && err.code === 'CANCELLED')) return cancelled(initial.id);
        const e = JobkitError.from(err);
        errors += 1;
        if (!e.retryable || errors > rt.maxPollErrors) throw e;
        interval = e.code === 'RATE_LIMITED' && e.retryAfterMs !== undefined ? e.retryAfterMs : Math.min(rt.pollMaxMs * 4, interval * 2);
        log.warn({ predictionId: initial.id, code: e.code, retryInMs: interval }, 'transient error while polling replicate');
        continue;
      }
      errors = 0;
      if (isTerminal(p.status)) return p;
      interval = Math.min(rt.pollMaxMs, Math.round(interval * 1.5));
    }
  };

  const collect = async (p: Prediction): Promise<PredictionOutcome> => {
    const predictTime = p.metrics?.predict_time;
    if (p.status === 'failed') {
      const costUsd = await markSpent(p);
      const message = errorText(p.error);
      throw new JobkitError(step, `Replicate prediction ${p.id} failed: ${message}`, {
        retryable: TRANSIENT_FAILURE.test(message),
        details: { predictionId: p.id, provider: 'replicate', costUsd },
      });
    }
    if (p.status !== 'succeeded') {
      const costUsd = await markSpent(p);
      throw new JobkitError(step, `Replicate prediction ${p.id} was ${p.status}`, { retryable: true, details: { predictionId: p.id, costUsd } });
    }
    const urls = outputUrls(p.output, step);
    if (urls.length < (task.expectedOutputs ?? 1)) {
      await markSpent(p);
      throw new JobkitError(step, `Replicate prediction ${p.id} returned ${urls.length} outputs, expected ${task.expectedOutputs}`, { retryable: true });
    }
    let outputs: Buffer[];
    try {
      outputs = await Promise.all(
        urls.map((url) =>
          downloadOutput(url, {
            fetch: rt.fetch,
            step,
            signal: ctx.signal,
            timeoutMs: rt.requestTimeoutMs,
            maxBytes: rt.maxOutputBytes,
            now: () => ctx.clock.now(),
          }),
        ),
      );
    } catch (err) {
      // Outputs expire about an hour after the run; once gone, only a new prediction helps.
      if (isGoneError(err)) {
        const costUsd = await markSpent(p);
        throw new JobkitError(step, `outputs of Replicate prediction ${p.id} are gone; the next try creates a new prediction`, {
          retryable: true,
          cause: err,
          details: { predictionId: p.id, costUsd },
        });
      }
      throw err;
    }
    const costUsd = billed(p);
    log.info({ predictionId: p.id, outputs: outputs.length, costUsd, predictTime }, 'replicate prediction collected');
    return { predictionId: p.id, outputs, costUsd };
  };

  if (ctx.signal.aborted) throw new JobkitError('CANCELLED', 'step cancelled before the Replicate prediction was created');
  let prediction = (await resume()) ?? (await create());
  if (!isTerminal(prediction.status)) {
    if (rt.mode === 'webhook') return { pending: true, checkAfterMs: rt.webhookCheckAfterMs };
    prediction = await waitFor(prediction);
  }
  return collect(prediction);
}
