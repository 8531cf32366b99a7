import type { Router } from 'express';
import type { Job, JobService, Logger, ObjectStore } from 'jobkit';
import type { AuthOptions } from './auth.js';
import type { JobkitMetrics } from './metrics.js';
import type { WebhookOptions } from './webhook.js';

/** What a raw-body webhook hook receives (e.g. `createReplicateWebhookHandler` of @jobkit/provider-replicate). */
export interface RawWebhookRequest {
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
}
export type RawWebhookHandler = (req: RawWebhookRequest) => Promise<{ status: number; body: unknown }>;

export interface JobkitRouterOptions {
  service: JobService;
  /** Presigned URLs for external drivers; `/files/*key` is mounted when it has `verifyRequest` (local store). */
  objects: ObjectStore;
  /** Signature check of POST /webhooks/3jms/images. */
  webhook: WebhookOptions;
  /** Bearer tokens of the management endpoints. */
  auth: AuthOptions;
  /** Create webhook jobs as QUEUED for the built-in worker (default false: they wait in NEW for /start). */
  autoStart?: boolean;
  /** Default: the service's logger. */
  logger?: Logger;
  /** Lifetime of presigned URLs, seconds (default 3600). */
  presignExpiresInSec?: number;
  /** Largest PUT through /files/*key, bytes (default 25 MB). */
  maxUploadBytes?: number;
  /** Largest JSON body of the management endpoints, bytes (default 100 kB). */
  jsonLimitBytes?: number;
  /** Called when a job became runnable by the worker (created auto-started, started, retried): e.g. worker.wake(). */
  onJobQueued?: (job: Job) => void;
  /** Mounted at POST /webhooks/replicate with a raw body parser. */
  replicateWebhook?: RawWebhookHandler;
  /** Serves GET /metrics (Prometheus text) from `createJobkitMetrics(...)`, bearer-token protected. */
  metrics?: JobkitMetrics;
  /** Serve /metrics without a token — only for a scraper on a private network (default false). */
  metricsPublic?: boolean;
  /** Adds routes before the 404 handler. */
  extraRoutes?: (router: Router) => void;
  /** Environment read for the production guard (default process.env). */
  env?: Record<string, string | undefined>;
}
