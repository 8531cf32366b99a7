/**
 * Framework-agnostic handler for Replicate's prediction webhooks. The callback is only a wake-up call:
 * it is verified (Standard Webhooks, the core verifier: constant time, timestamp window), the job id is
 * validated, and `wake(jobId)` makes the job due. The step then reads the prediction from the API, so
 * the body is never trusted and duplicate or late deliveries are harmless.
 */
import { JobkitError, jobIdSchema, systemClock, verifyWebhook, type Clock, type Logger, silentLogger } from 'jobkit';

export interface ReplicateWebhookRequest {
  /** Exactly the bytes received (mount with a raw-body parser). */
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
}

export interface ReplicateWebhookResponse {
  status: number;
  body: unknown;
}

export interface ReplicateWebhookHandlerOptions {
  /** Replicate's signing secret(s), `whsec_…` (GET /v1/webhooks/default/secret). Several during rotation. */
  secrets: string | readonly string[];
  /** Makes the job due now (JobService.wakeJob). May throw NOT_FOUND for unknown or finished jobs. */
  wake: (jobId: string) => unknown;
  clock?: Clock;
  /** Accepted clock skew of webhook-timestamp, seconds (default 300). */
  toleranceSec?: number;
  logger?: Logger;
}

export type ReplicateWebhookHandler = (req: ReplicateWebhookRequest) => Promise<ReplicateWebhookResponse>;

const error = (status: number, code: string, message: string): ReplicateWebhookResponse => ({ status, body: { error: { code, message } } });

export function createReplicateWebhookHandler(opts: ReplicateWebhookHandlerOptions): ReplicateWebhookHandler {
  const secrets = typeof opts.secrets === 'string' ? [opts.secrets] : [...(opts.secrets ?? [])];
  if (secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.trim() === '')) {
    throw new JobkitError('INVALID_INPUT', 'secrets: at least one non-empty Replicate webhook secret is required', { details: { field: 'secrets' } });
  }
  if (typeof opts.wake !== 'function') throw new JobkitError('INVALID_INPUT', 'wake: must be a function', { details: { field: 'wake' } });
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;

  return async (req) => {
    try {
      verifyWebhook({
        body: req.rawBody,
        headers: req.headers,
        secrets,
        scheme: { scheme: 'standard-webhooks' },
        toleranceSec: opts.toleranceSec ?? 300,
        now: clock.now(),
      });
    } catch (err) {
      const reason = JobkitError.is(err) ? err.details?.reason : undefined;
      logger.warn({ reason }, 'rejected a replicate webhook');
      return error(401, 'SIGNATURE_INVALID', JobkitError.is(err) ? err.message : 'webhook signature is invalid');
    }
    const raw = Array.isArray(req.query.job) ? req.query.job[0] : req.query.job;
    const parsed = jobIdSchema.safeParse(raw);
    if (!parsed.success) return error(400, 'INVALID_INPUT', 'job: missing or malformed job id in the webhook URL');
    const jobId = parsed.data;
    try {
      await opts.wake(jobId);
    } catch (err) {
      // A job that is gone or finished has nothing to wake: acknowledge so Replicate stops retrying.
      if (JobkitError.is(err) && (err.code === 'NOT_FOUND' || err.code === 'INVALID_TRANSITION')) {
        logger.info({ jobId, code: err.code }, 'replicate webhook for a job that cannot be woken; ignored');
        return { status: 200, body: { ok: true, ignored: err.code } };
      }
      // Store trouble: a non-2xx makes Replicate deliver again later.
      logger.error({ jobId, err: String(err) }, 'waking the job for a replicate webhook failed');
      return error(500, 'INTERNAL', 'could not wake the job');
    }
    return { status: 202, body: { ok: true } };
  };
}
