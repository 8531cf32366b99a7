import type { Job, JobService, Logger, ObjectStore } from 'jobkit';
import type { AuthOptions } from './auth.js';
import type { DashboardSettings } from './dashboard/dashboard.js';
import type { JobkitMetrics } from './metrics.js';
import type { RawWebhookHandler, WebhookOptions } from './webhook.js';

/** How the web-standard entry learns where it is mounted and who is calling. */
export interface RequestEntryOptions {
  /**
   * The public path the handler is mounted at, e.g. "/api" (default ""). A request whose path starts with it
   * has it removed (Next.js catch-all routes, a plain node:http server); a request whose path does not is
   * taken as already relative (Hono's `app.mount` strips the prefix itself). Links and cookie paths are
   * built on it.
   */
  basePath?: string;
  /**
   * The client's address, for the dashboard's sign-in throttle and the logs. A `Request` does not carry
   * one: give it from your platform. It gets the request and whatever else the platform passed the handler
   * (Hono's `app.mount` passes its env: on @hono/node-server `env.incoming` is the IncomingMessage), e.g.
   * `(req) => req.headers.get('x-real-ip')` behind a proxy you run. `toNodeHandler` uses the socket's
   * address; Express uses `req.ip` (which honours `app.set('trust proxy', …)`). Default: "unknown" — every
   * client shares one throttle bucket, which slows wrong tokens but never refuses a right one.
   */
  clientAddress?: (request: Request, ...platform: unknown[]) => string | undefined;
}

export interface JobkitHandlerOptions extends RequestEntryOptions {
  service: JobService;
  /** Presigned URLs for external drivers; `/files/*key` is served when it has `verifyRequest` (local store). */
  objects: ObjectStore;
  /** Signature check of POST /webhooks/3jms/images. */
  webhook: WebhookOptions;
  /** Bearer tokens of the management endpoints. */
  auth: AuthOptions;
  /**
   * Create webhook jobs QUEUED, so whichever worker is alive (in this process or another replica on the
   * same store) runs them. Default true. `false` leaves them in NEW for POST /jobs/:id/start — for an
   * outside orchestrator that drives each step itself (the seed's external driver).
   */
  autoStart?: boolean;
  /** Default: the service's logger. */
  logger?: Logger;
  /** Lifetime of presigned URLs, seconds (default 3600). */
  presignExpiresInSec?: number;
  /** Largest PUT through /files/*key, bytes (default 25 MB). */
  maxUploadBytes?: number;
  /** Largest JSON body of the management endpoints, bytes (default 100 kB). */
  jsonLimitBytes?: number;
  /** Called when a job became runnable by the worker (created auto-started, started, retried, approved): e.g. worker.wake(). */
  onJobQueued?: (job: Job) => void;
  /** Served at POST /webhooks/replicate with the raw body. */
  replicateWebhook?: RawWebhookHandler;
  /** Serves GET /metrics (Prometheus text) from `createJobkitMetrics(...)`, bearer-token protected. */
  metrics?: JobkitMetrics;
  /** Serve /metrics without a token — only for a scraper on a private network (default false). */
  metricsPublic?: boolean;
  /** Also serve the operator dashboard under `/dashboard` of this handler (same tokens). */
  dashboard?: boolean | DashboardSettings;
  /** Environment read for the production guard (default process.env). */
  env?: Record<string, string | undefined>;
}
