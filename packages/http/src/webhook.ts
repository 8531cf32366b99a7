/**
 * POST /webhooks/3jms/images: the signature is checked on the RAW body (a too large body is refused with
 * 413 before any signature work), then the JSON is parsed and validated, and the job is created
 * idempotently on (sku, sha256, theme): 201 created, 200 duplicate.
 */
import { JobkitError, invalidInput, verifyWebhook, type CreateJobInput, type Job, type JobService, type Logger, type WebhookScheme } from 'jobkit';
import { checkDeclaredLength, refuseContentEncoding } from './body.js';
import { jsonResponse, type JobkitRequest, type JobkitResponse } from './exchange.js';
import { intOption } from './int-option.js';

export interface WebhookOptions {
  /** One secret or several (rotation: every listed secret is accepted). */
  secrets?: string | readonly string[];
  /**
   * 'hmac-sha256' (default): hex/base64 HMAC of the body in `x-3jms-signature` or `x-webhook-signature`,
   * optional `sha256=` prefix. 'standard-webhooks': webhook-id/-timestamp/-signature with a time window.
   * Or a full scheme object of the core (custom header names, a signed timestamp header).
   */
  scheme?: 'hmac-sha256' | 'standard-webhooks' | WebhookScheme;
  /** Accepted clock skew for timestamped schemes, seconds (default 300). */
  toleranceSec?: number;
  /** Accept unsigned deliveries when no secret is set. Local development only: refused when NODE_ENV=production. */
  allowUnsigned?: boolean;
  /** Largest body, bytes (default 1 MiB). */
  maxBodyBytes?: number;
}

export const DEFAULT_WEBHOOK_HEADERS = ['x-3jms-signature', 'x-webhook-signature'];

export interface ResolvedWebhook {
  secrets: string[];
  scheme: WebhookScheme;
  toleranceSec: number;
  unsigned: boolean;
  maxBodyBytes: number;
}

/** Validates the webhook options at router creation: a missing secret is a startup error, never a bypass. */
export function resolveWebhook(opts: WebhookOptions | undefined, env: Record<string, string | undefined>): ResolvedWebhook {
  const o = opts ?? {};
  const raw = o.secrets === undefined ? [] : typeof o.secrets === 'string' ? [o.secrets] : [...o.secrets];
  raw.forEach((s, i) => {
    if (typeof s !== 'string' || s.trim().length === 0) throw invalidInput(`webhook.secrets.${i}`, 'must be a non-empty string');
  });
  const secrets = raw.map((s) => s.trim());
  if (o.allowUnsigned === true) {
    if (secrets.length > 0) throw invalidInput('webhook.allowUnsigned', 'cannot be combined with webhook secrets (signed deliveries are always verified)');
    if (env['NODE_ENV'] === 'production')
      throw invalidInput('webhook.allowUnsigned', 'unsigned webhooks are refused when NODE_ENV=production; set webhook.secrets');
  } else if (secrets.length === 0) {
    throw invalidInput('webhook.secrets', 'no webhook secret configured: set webhook.secrets (or, for local development only, webhook.allowUnsigned: true)');
  }
  const scheme: WebhookScheme =
    o.scheme === undefined || o.scheme === 'hmac-sha256'
      ? { scheme: 'hmac-sha256', headers: DEFAULT_WEBHOOK_HEADERS }
      : o.scheme === 'standard-webhooks'
        ? { scheme: 'standard-webhooks' }
        : o.scheme;
  if (scheme.scheme !== 'hmac-sha256' && scheme.scheme !== 'standard-webhooks')
    throw invalidInput('webhook.scheme', 'must be hmac-sha256 or standard-webhooks');
  const toleranceSec = intOption(o.toleranceSec, 300, 'webhook.toleranceSec', 1, 86_400);
  const maxBodyBytes = intOption(o.maxBodyBytes, 1024 * 1024, 'webhook.maxBodyBytes');
  return { secrets, scheme, toleranceSec, unsigned: secrets.length === 0, maxBodyBytes };
}

/** Where the bytes a signature covers went, when a parser in front of jobkit consumed them. */
function bodyNotRaw(parser: string): JobkitError {
  return new JobkitError(
    'INTERNAL',
    `the request body was already parsed by ${parser} in front of jobkit, so its signature cannot be checked on the bytes that were sent: ` +
      'mount jobkit before that parser, or keep the raw bytes (express.json({ verify: (req, _res, buf) => { req.rawBody = buf } }))',
    { details: { reason: 'body_not_raw' } },
  );
}

/**
 * The exact bytes of a signed request: never inflated (Content-Encoding is refused), 413 past the limit
 * before any signature work, and a clear BODY_NOT_RAW error when a parser in front kept no raw copy.
 */
async function readSignedBody(req: JobkitRequest, limit: number): Promise<Buffer> {
  refuseContentEncoding(req.headers);
  checkDeclaredLength(req.headers, limit);
  if (req.body.parsed) throw bodyNotRaw(req.body.parsed.parser);
  return req.body.read(limit);
}

export function createWebhookRoute(deps: {
  service: JobService;
  webhook: ResolvedWebhook;
  autoStart: boolean;
  logger: Logger;
  onJobQueued?: ((job: Job) => void) | undefined;
}): (req: JobkitRequest) => Promise<JobkitResponse> {
  const { service, webhook, autoStart, logger } = deps;
  return async (req) => {
    let parsed: unknown;
    if (webhook.unsigned && req.body.parsed) {
      parsed = req.body.parsed.value;
    } else {
      const body = await readSignedBody(req, webhook.maxBodyBytes);
      if (!webhook.unsigned) {
        try {
          verifyWebhook({
            body,
            headers: req.headers,
            secrets: webhook.secrets,
            scheme: webhook.scheme,
            toleranceSec: webhook.toleranceSec,
            now: service.clock.now(),
          });
        } catch (e) {
          logger.warn({ reason: JobkitError.is(e) ? e.details?.['reason'] : undefined, ip: req.ip }, 'webhook signature rejected');
          throw e;
        }
      }
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        throw invalidInput('body', 'request body is not valid JSON');
      }
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidInput('body', 'must be a JSON object');
    // Only the payload's known fields go on (a sender may add others); the service validates each one and
    // names the bad one, so the rules are not checked twice (webhookBodySchema documents them in OpenAPI).
    const { sku, sha256, imageUrl, theme } = parsed as Record<string, unknown>;
    const { job, created } = await service.createJob({ sku, sha256, imageUrl, theme, autoStart } as CreateJobInput);
    if (created) logger.info({ jobId: job.id, sku: job.sku, theme: job.theme, status: job.status }, 'job created by webhook');
    else logger.debug({ jobId: job.id, sku: job.sku, theme: job.theme }, 'duplicate webhook delivery');
    if (created && job.status === 'QUEUED') deps.onJobQueued?.(job);
    return jsonResponse(created ? 201 : 200, { status: created ? 'created' : 'duplicate', job });
  };
}

/** What a raw-body webhook hook receives (e.g. `createReplicateWebhookHandler` of @jobkit/provider-replicate). */
export interface RawWebhookRequest {
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
}
export type RawWebhookHandler = (req: RawWebhookRequest) => Promise<{ status: number; body: unknown }>;

/** POST /webhooks/replicate: the hook gets the exact bytes; its errors go through the same error table. */
export function createRawHookRoute(hook: RawWebhookHandler, maxBodyBytes: number): (req: JobkitRequest) => Promise<JobkitResponse> {
  return async (req) => {
    const rawBody = await readSignedBody(req, maxBodyBytes);
    const result = await hook({ rawBody, headers: { ...req.headers }, query: Object.fromEntries(req.query) });
    return jsonResponse(result.status, result.body ?? {});
  };
}
