/**
 * Shared settings and clients of one Replicate account: the replicate client (with our guarded fetch,
 * so retries are ours), the raw fetch for output downloads, and the creation gate (the core limiter plus
 * Replicate's 429 resets). The segmenter and the background generator built by `createReplicateProviders`
 * share one runtime, hence one gate for the account's prediction-creation budget.
 */
import { setTimeout as delay } from 'node:timers/promises';
import Replicate from 'replicate';
import { JobkitError, createLimiter, invalidInput, systemClock, type Clock, type Limiter } from 'jobkit';
import { createCreationGate, type CreationGate } from './creation-gate.js';
import { createGuardedFetch, type FetchLike } from './guarded-fetch.js';
import { DEFAULT_DATA_URI_MAX_BYTES } from './image-input.js';
import { DEFAULT_MAX_OUTPUT_BYTES } from './output-download.js';

export type ReplicateMode = 'sync' | 'webhook';

/** Abortable waiting (rejects with CANCELLED). Injectable so tests can drive a fake clock instead of waiting. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

const timerSleep: Sleep = async (ms, signal) => {
  try {
    await delay(Math.max(0, ms), undefined, signal ? { signal } : undefined);
  } catch (err) {
    if (signal?.aborted) throw new JobkitError('CANCELLED', 'waiting was cancelled', { cause: err });
    throw err;
  }
};

export interface ReplicateRuntimeOptions {
  /** Replicate API token (REPLICATE_API_TOKEN). Required: no implicit read of the environment. */
  auth: string;
  /** API base URL (default https://api.replicate.com/v1). Tests point it at a local fake. */
  baseUrl?: string;
  /** fetch implementation (default globalThis.fetch); used for the API and for output downloads. */
  fetch?: FetchLike;
  userAgent?: string;
  /**
   * 'sync' (default): the step waits for the prediction (polling, optionally `Prefer: wait`).
   * 'webhook': the step creates the prediction with a webhook and returns a PendingResult; the
   * webhook (or the fallback re-check) wakes the job and the step collects the result.
   */
  mode?: ReplicateMode;
  /** Public base URL of your server for webhooks (default env JOBKIT_PUBLIC_URL). Required in webhook mode. */
  webhookBaseUrl?: string;
  /** Path of the mounted webhook handler (default /api/webhooks/replicate). */
  webhookPath?: string;
  /**
   * Sync mode: seconds of `Prefer: wait` on create (1–60), or 0 (default) to return at once and poll.
   * While the create request is held open the prediction id is not known yet, so a crash in that
   * window cannot be resumed and the retry pays again — 0 keeps "never pay twice" strict.
   */
  syncWaitSec?: number;
  /** First poll delay, ms (default 250); grows ×1.5 up to pollMaxMs. */
  pollInitialMs?: number;
  /** Longest poll interval, ms (default 2000). */
  pollMaxMs?: number;
  /** Longest a sync step waits for one prediction, ms (default 10 min); then PROVIDER_TIMEOUT, resumable. */
  timeoutMs?: number;
  /** Webhook mode: when the worker re-checks without a callback (lost webhook), ms (default 60 s). */
  webhookCheckAfterMs?: number;
  /** Timeout of each API request and download, ms (default 30 s). */
  requestTimeoutMs?: number;
  /** Consecutive transient poll errors tolerated before giving up the try (default 5). */
  maxPollErrors?: number;
  /** Inline images up to this size as data URIs when the store has no public URLs (default 1 MiB). */
  dataUriMaxBytes?: number;
  /** Largest output accepted, bytes (default 50 MiB). */
  maxOutputBytes?: number;
  /**
   * Prediction creation: `perMinute` creates in any sliding minute (default 600, Replicate's account limit;
   * the core `createLimiter`), and `maxWaitMs`, the longest 429 reset waited out in-process (default 30 000).
   * Or a `Limiter` from `createLimiter({ perMinute })` to share one budget between several factories.
   */
  rateLimit?: { perMinute?: number; maxWaitMs?: number } | Limiter;
  /** Time source for polling deadlines and 429 resets (default system clock). The rate limiter runs on real time. */
  clock?: Clock;
  /** Waiting primitive (default `node:timers/promises` setTimeout); tests inject one that advances a fake clock. */
  sleep?: Sleep;
}

export interface ReplicateRuntime {
  client: Replicate;
  fetch: FetchLike;
  gate: CreationGate;
  clock: Clock;
  sleep: Sleep;
  mode: ReplicateMode;
  webhookBaseUrl: string | null;
  webhookPath: string;
  syncWaitSec: number;
  pollInitialMs: number;
  pollMaxMs: number;
  timeoutMs: number;
  webhookCheckAfterMs: number;
  requestTimeoutMs: number;
  maxPollErrors: number;
  dataUriMaxBytes: number;
  maxOutputBytes: number;
}

function positiveInt(value: number | undefined, fallback: number, field: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw invalidInput(field, `must be an integer in [${min}, ${max}]`);
  return v;
}

/** Replicate documents webhook URLs as HTTPS; plain http is only for local development. */
export const HTTPS_REQUIRED = 'must be an https URL when NODE_ENV=production: Replicate sends webhooks to HTTPS URLs';

function httpBaseUrl(value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidInput(field, 'must be an absolute http(s) URL');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) {
    throw invalidInput(field, 'must be an http(s) URL without credentials, query or fragment');
  }
  return url.toString().replace(/\/+$/, '');
}

function isLimiter(value: unknown): value is Limiter {
  return typeof (value as Limiter | undefined)?.run === 'function';
}

export function createReplicateRuntime(opts: ReplicateRuntimeOptions, env: Record<string, string | undefined> = process.env): ReplicateRuntime {
  if (typeof opts.auth !== 'string' || opts.auth.trim() === '') throw invalidInput('auth', 'a Replicate API token is required');
  const mode = opts.mode ?? 'sync';
  if (mode !== 'sync' && mode !== 'webhook') throw invalidInput('mode', 'must be "sync" or "webhook"');
  const rawBase = opts.webhookBaseUrl ?? env.JOBKIT_PUBLIC_URL;
  const webhookBaseUrl = rawBase ? httpBaseUrl(rawBase, opts.webhookBaseUrl ? 'webhookBaseUrl' : 'JOBKIT_PUBLIC_URL') : null;
  if (mode === 'webhook' && !webhookBaseUrl) {
    throw invalidInput('webhookBaseUrl', 'webhook mode needs the public base URL of your server (option webhookBaseUrl or env JOBKIT_PUBLIC_URL)');
  }
  if (mode === 'webhook' && webhookBaseUrl?.startsWith('http:') && env.NODE_ENV === 'production') {
    throw invalidInput(opts.webhookBaseUrl ? 'webhookBaseUrl' : 'JOBKIT_PUBLIC_URL', HTTPS_REQUIRED);
  }
  const webhookPath = opts.webhookPath ?? '/api/webhooks/replicate';
  if (!/^\/[A-Za-z0-9/_.-]*$/.test(webhookPath)) throw invalidInput('webhookPath', 'must be an absolute path');
  const baseUrl = opts.baseUrl === undefined ? undefined : httpBaseUrl(opts.baseUrl, 'baseUrl');
  const rawFetch: FetchLike = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const clock = opts.clock ?? systemClock;
  const sleep = opts.sleep ?? timerSleep;
  const client = new Replicate({
    auth: opts.auth,
    ...(baseUrl ? { baseUrl } : {}),
    ...(opts.userAgent ? { userAgent: opts.userAgent } : {}),
    fetch: createGuardedFetch(rawFetch) as (input: Request | string, init?: RequestInit) => Promise<Response>,
    useFileOutput: false,
  });
  const rate = isLimiter(opts.rateLimit) ? {} : (opts.rateLimit ?? {});
  const perMinute = rate.perMinute ?? 600;
  if (!(Number.isFinite(perMinute) && perMinute > 0)) throw invalidInput('rateLimit.perMinute', 'must be a positive number');
  const limiter = isLimiter(opts.rateLimit) ? opts.rateLimit : createLimiter({ perMinute });
  const gate = createCreationGate({ limiter, clock, sleep, maxWaitMs: positiveInt(rate.maxWaitMs, 30_000, 'rateLimit.maxWaitMs', 0) });
  const pollInitialMs = positiveInt(opts.pollInitialMs, 250, 'pollInitialMs');
  return {
    client,
    fetch: rawFetch,
    gate,
    clock,
    sleep,
    mode,
    webhookBaseUrl,
    webhookPath,
    syncWaitSec: positiveInt(opts.syncWaitSec, 0, 'syncWaitSec', 0, 60),
    pollInitialMs,
    pollMaxMs: positiveInt(opts.pollMaxMs, Math.max(2000, pollInitialMs), 'pollMaxMs', pollInitialMs),
    timeoutMs: positiveInt(opts.timeoutMs, 600_000, 'timeoutMs'),
    webhookCheckAfterMs: positiveInt(opts.webhookCheckAfterMs, 60_000, 'webhookCheckAfterMs'),
    requestTimeoutMs: positiveInt(opts.requestTimeoutMs, 30_000, 'requestTimeoutMs'),
    maxPollErrors: positiveInt(opts.maxPollErrors, 5, 'maxPollErrors', 0),
    dataUriMaxBytes: positiveInt(opts.dataUriMaxBytes, DEFAULT_DATA_URI_MAX_BYTES, 'dataUriMaxBytes', 0),
    maxOutputBytes: positiveInt(opts.maxOutputBytes, DEFAULT_MAX_OUTPUT_BYTES, 'maxOutputBytes'),
  };
}

/** `${webhookBaseUrl}${webhookPath}?job=<jobId>` — the job id is all the callback needs. */
export function webhookUrlFor(rt: ReplicateRuntime, jobId: string): string {
  const url = new URL(`${rt.webhookBaseUrl}${rt.webhookPath}`);
  url.searchParams.set('job', jobId);
  return url.toString();
}
