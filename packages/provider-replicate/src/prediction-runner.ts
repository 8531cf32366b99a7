/**
 * The predictions of one step, resumable: resume `ctx.previousRef` when it can still give a result,
 * otherwise create (rate limited) and record the id before any waiting; then either wait (sync) or hand
 * back a PendingResult (webhook); download the outputs at once; report cost. A prediction that succeeds
 * with fewer outputs than asked is kept and topped up by another that asks only for the missing ones
 * (bounded by `topUps`). Every prediction's cost is counted once: with its ref when it is kept or spent,
 * in the step result for the last one. See provider-ref.ts for the ref format.
 */
import type { Prediction } from 'replicate';
import { JobkitError, type PendingResult, type ProviderContext } from 'jobkit';
import { toJobkitError, type StepErrorCode } from './error-mapping.js';
import { downloadOutput, isGoneError, outputUrls } from './output-download.js';
import { predictionCost, type Pricing } from './pricing.js';
import { formatProviderRef, parseProviderRef } from './provider-ref.js';
import { webhookUrlFor, type ReplicateRuntime } from './runtime.js';
import { formatModelRef, type ModelRef } from './model-ref.js';

export interface PredictionTask {
  step: StepErrorCode;
  model: ModelRef;
  pricing: Pricing;
  /** Input for a new prediction that must return `count` outputs (a resume needs none). */
  buildInput: (count: number) => Promise<Record<string, unknown>>;
  /** Outputs the step needs (default 1). */
  expectedOutputs?: number;
  /**
   * Follow-up predictions allowed when one succeeds with fewer outputs than asked (a safety checker dropped
   * some): the delivered outputs are kept and only the missing ones are asked for. Default 0: a short result
   * is a failure.
   */
  topUps?: number;
}

export interface PredictionOutcome {
  /** The last prediction. */
  predictionId: string;
  /** Every prediction whose outputs are in `outputs`, oldest first. */
  predictionIds: string[];
  outputs: Buffer[];
  /** What the step result reports: the last prediction's cost (kept ones were recorded with their ref). */
  costUsd: number;
}

type Status = Prediction['status'];
const TERMINAL: readonly Status[] = ['succeeded', 'failed', 'canceled', 'aborted'];
const isTerminal = (status: Status): boolean => TERMINAL.includes(status);

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
  const needed = task.expectedOutputs ?? 1;
  const topUps = task.topUps ?? 0;
  const model = formatModelRef(task.model);
  const log = ctx.logger.child({ provider: 'replicate', model });
  const mapCtx = (action: string, signal: AbortSignal | undefined = ctx.signal) => ({ step, action, signal, now: ctx.clock.now() });
  const requestSignal = (): AbortSignal => AbortSignal.any([ctx.signal, AbortSignal.timeout(rt.requestTimeoutMs)]);
  /**
   * Predictions whose outputs are kept (cost recorded), oldest first; their ids lead every ref written.
   * Outputs are downloaded only when the step can finish (a webhook re-check must not fetch them each time).
   */
  const kept: Array<{ id: string; urls: string[]; outputs?: Buffer[] }> = [];
  const keptIds = (): string[] => kept.map((k) => k.id);
  const keptCount = (): number => kept.reduce((n, k) => n + k.urls.length, 0);

  const getPrediction = async (id: string): Promise<Prediction> => {
    try {
      return asPrediction(await rt.client.predictions.get(id, { signal: requestSignal() }), step);
    } catch (err) {
      throw toJobkitError(err, mapCtx(`polling prediction ${id}`));
    }
  };

  /** The prediction, or null when Replicate does not know it (404). */
  const findPrediction = async (id: string): Promise<Prediction | null> => {
    try {
      return await getPrediction(id);
    } catch (err) {
      if (JobkitError.is(err) && err.details?.status === 404) return null;
      throw err;
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

  /** Writes `ref` and `p`'s cost in one job write, so a later try that reads the ref never counts it again. */
  const recordWithCost = async (ref: string, p: Prediction): Promise<number> => {
    const costUsd = billed(p);
    await ctx.recordRef(ref, costUsd > 0 ? { costUsd } : undefined);
    return costUsd;
  };

  /** Marks `p` spent (it gives no result) and records its cost. Throws when the write fails. */
  const recordSpent = async (p: Prediction, keep: readonly string[] = keptIds()): Promise<number> => {
    const costUsd = await recordWithCost(formatProviderRef(keep, { predictionId: p.id, spent: true }), p);
    if (costUsd > 0) log.info({ predictionId: p.id, status: p.status, costUsd }, 'replicate prediction billed without a usable result; cost recorded');
    return costUsd;
  };

  /** recordSpent on the way to reporting a failure: a failed write is logged, the failure still thrown. */
  const markSpent = async (p: Prediction, keep: readonly string[] = keptIds()): Promise<number> => {
    try {
      return await recordSpent(p, keep);
    } catch (err) {
      log.warn({ predictionId: p.id, err: String(err) }, 'could not mark the replicate prediction as spent');
      return billed(p);
    }
  };

  const download = (urls: string[]): Promise<Buffer[]> =>
    Promise.all(
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

  /** The predictions an earlier try kept, as Replicate lists them now; those whose outputs are gone are dropped. */
  const restoreKept = async (ids: string[]): Promise<void> => {
    for (const id of ids) {
      const p = await findPrediction(id);
      if (p?.status !== 'succeeded' || p.data_removed) {
        log.warn({ predictionId: id }, 'outputs of a kept replicate prediction are gone; asking for them again');
        continue;
      }
      kept.push({ id, urls: outputUrls(p.output, step) });
    }
  };

  /** Downloads the kept outputs not in memory yet; drops (and returns false for) predictions whose outputs expired. */
  const loadKept = async (): Promise<boolean> => {
    let complete = true;
    for (const k of [...kept]) {
      if (k.outputs) continue;
      try {
        k.outputs = await download(k.urls);
      } catch (err) {
        if (!isGoneError(err)) throw err;
        log.warn({ predictionId: k.id }, 'outputs of a kept replicate prediction expired; asking for them again');
        kept.splice(kept.indexOf(k), 1);
        complete = false;
      }
    }
    return complete;
  };

  /** Keeps `p`'s outputs for the step and records its cost with the ref, in one write. */
  const keep = async (p: Prediction, urls: string[], outputs: Buffer[]): Promise<number> => {
    const costUsd = await recordWithCost(formatProviderRef([...keptIds(), p.id]), p);
    kept.push({ id: p.id, urls, outputs });
    return costUsd;
  };

  /** The recorded prediction when it can still give a result, else null (a new one is needed). */
  const resume = async (id: string): Promise<Prediction | null> => {
    const p = await findPrediction(id);
    if (!p) {
      log.warn({ predictionId: id }, 'recorded replicate prediction not found; creating a new one');
      return null;
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

  const create = async (count: number): Promise<Prediction> => {
    const input = await task.buildInput(count);
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
      await ctx.recordRef(formatProviderRef(keptIds(), { predictionId: created.id }));
    } catch (err) {
      // Nobody could resume it: stop paying for it.
      await cancelQuietly(created.id);
      throw err;
    }
    log.info({ predictionId: created.id, status: created.status, outputs: count }, 'replicate prediction created');
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

  /** The output URLs and bytes of a finished prediction; failures are reported once (spent mark + cost). */
  const collect = async (p: Prediction): Promise<{ urls: string[]; outputs: Buffer[] }> => {
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
    try {
      return { urls, outputs: await download(urls) };
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
  };

  if (ctx.signal.aborted) throw new JobkitError('CANCELLED', 'step cancelled before the Replicate prediction was created');
  let current: Prediction | null = null;
  if (ctx.previousRef) {
    const ref = parseProviderRef(ctx.previousRef);
    if (!ref) log.warn({ providerRef: ctx.previousRef }, 'ignoring a provider ref that is not a Replicate prediction ref');
    else {
      await restoreKept(ref.kept);
      if (ref.current && !ref.current.spent) current = await resume(ref.current.predictionId);
    }
  }
  for (;;) {
    current ??= await create(needed - keptCount());
    if (!isTerminal(current.status)) {
      if (rt.mode === 'webhook') return { pending: true, checkAfterMs: rt.webhookCheckAfterMs };
      current = await waitFor(current);
    }
    const { urls, outputs } = await collect(current);
    const delivered = keptCount() + outputs.length;
    if (delivered >= needed) {
      if (await loadKept()) {
        const all = [...kept.flatMap((k) => k.outputs!), ...outputs].slice(0, needed);
        const costUsd = billed(current);
        log.info({ predictionId: current.id, outputs: all.length, costUsd, predictTime: current.metrics?.predict_time }, 'replicate prediction collected');
        return { predictionId: current.id, predictionIds: [...keptIds(), current.id], outputs: all, costUsd };
      }
      // Kept outputs expired meanwhile: keep this prediction's too and ask for the rest.
    } else if (kept.length + 1 > topUps) {
      // Short again and out of top-ups. The kept ones leave the ref: an operator's retry starts afresh.
      const costUsd = await markSpent(current, []);
      throw new JobkitError(
        step,
        `Replicate returned ${delivered} of ${needed} images in ${kept.length + 1} predictions (its safety checker drops flagged images); giving up`,
        { retryable: false, details: { predictionId: current.id, predictionIds: [...keptIds(), current.id], delivered, expected: needed, costUsd } },
      );
    }
    // Short: the model returned fewer outputs than asked (a safety checker dropped some).
    const costUsd = await keep(current, urls, outputs);
    log.warn(
      { predictionId: current.id, delivered: keptCount(), expected: needed, costUsd },
      'replicate returned fewer outputs than the step needs; asking for the rest',
    );
    current = null;
  }
}
