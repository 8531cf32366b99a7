/**
 * Every route of the jobkit API in one table: method, path (relative to the mount point), who may call it,
 * and the function that answers. `access` is enforced by the handler before a route runs:
 *   signature   the body's webhook signature (checked by the route on the raw bytes)
 *   signed-url  the URL's signature (checked by the object store)
 *   bearer      an API token
 *   metrics     an API token unless `metricsPublic`
 *   open        anyone
 */
import { jobIdSchema, parseInput, type Job, type JobService, type Logger, type ObjectStore } from 'jobkit';
import type { JobkitResponse } from './exchange.js';
import { createFileRoutes, fileKey, type FileServingObjectStore } from './files.js';
import { metricsResponse, type JobkitMetrics } from './metrics.js';
import { decodeParam, type Params, type Route } from './router.js';
import { createHealthRoutes } from './routes/health.js';
import { createJobRoutes } from './routes/jobs.js';
import { createRawHookRoute, createWebhookRoute, type RawWebhookHandler, type ResolvedWebhook } from './webhook.js';

export type Access = 'signature' | 'signed-url' | 'bearer' | 'metrics' | 'open';

export interface RouteDeps {
  service: JobService;
  objects: ObjectStore;
  files: FileServingObjectStore | null;
  webhook: ResolvedWebhook;
  autoStart: boolean;
  logger: Logger;
  presignExpiresInSec: number;
  maxUploadBytes: number;
  jsonLimitBytes: number;
  onJobQueued: ((job: Job) => void) | undefined;
  replicateWebhook: RawWebhookHandler | undefined;
  metrics: JobkitMetrics | undefined;
  /** The OpenAPI document, serialised once. */
  openapi: string;
}

export function routeTable(d: RouteDeps): Array<Route<Access>> {
  const webhook = createWebhookRoute({ service: d.service, webhook: d.webhook, autoStart: d.autoStart, logger: d.logger, onJobQueued: d.onJobQueued });
  const health = createHealthRoutes(d.service, d.logger);
  const jobs = createJobRoutes(d);
  const id = (p: Params) => parseInput(jobIdSchema, decodeParam(p['id']), 'id');
  const job =
    (run: (req: Parameters<Route['run']>[0], id: string) => Promise<JobkitResponse>): Route['run'] =>
    (req, p) =>
      run(req, id(p));
  const openapi = async (): Promise<JobkitResponse> => ({ status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: d.openapi });

  const table: Array<Route<Access> | false> = [
    // Signed by the sender. First, as it is the hot path.
    { method: 'POST', path: '/webhooks/3jms/images', access: 'signature', run: webhook },
    d.replicateWebhook !== undefined && {
      method: 'POST',
      path: '/webhooks/replicate',
      access: 'signature',
      run: createRawHookRoute(d.replicateWebhook, d.webhook.maxBodyBytes),
    },

    { method: 'GET', path: '/healthz', access: 'open', run: health.healthz },
    { method: 'GET', path: '/readyz', access: 'open', run: health.readyz },
    { method: 'GET', path: '/openapi.json', access: 'open', run: openapi },

    // Signed URLs of the local object store.
    ...(d.files ? fileRoutes(d.files, d.maxUploadBytes) : []),

    d.metrics !== undefined && { method: 'GET', path: '/metrics', access: 'metrics', run: () => metricsResponse(d.metrics!) },

    // Management: literal paths before /jobs/:id.
    { method: 'GET', path: '/jobs', access: 'bearer', run: (req) => jobs.list(req) },
    { method: 'GET', path: '/jobs/stats', access: 'bearer', run: () => jobs.stats() },
    { method: 'GET', path: '/jobs/:id', access: 'bearer', run: job(jobs.get) },
    { method: 'GET', path: '/jobs/:id/events', access: 'bearer', run: job(jobs.events) },
    { method: 'POST', path: '/jobs/:id/start', access: 'bearer', run: job(jobs.start) },
    { method: 'POST', path: '/jobs/:id/presign', access: 'bearer', run: job(jobs.presign) },
    { method: 'POST', path: '/jobs/:id/segmentation', access: 'bearer', run: job(jobs.segmentation) },
    { method: 'POST', path: '/jobs/:id/backgrounds', access: 'bearer', run: job(jobs.backgrounds) },
    { method: 'POST', path: '/jobs/:id/composite', access: 'bearer', run: job(jobs.composite) },
    { method: 'POST', path: '/jobs/:id/shopify', access: 'bearer', run: job(jobs.shopify) },
    { method: 'POST', path: '/jobs/:id/approve', access: 'bearer', run: job(jobs.approve) },
    { method: 'POST', path: '/jobs/:id/reject', access: 'bearer', run: job(jobs.reject) },
    { method: 'POST', path: '/jobs/:id/fail', access: 'bearer', run: job(jobs.fail) },
    { method: 'POST', path: '/jobs/:id/retry', access: 'bearer', run: job(jobs.retry) },
  ];
  return table.filter((r): r is Route<Access> => r !== false);
}

function fileRoutes(objects: FileServingObjectStore, maxUploadBytes: number): Array<Route<Access>> {
  const files = createFileRoutes(objects, maxUploadBytes);
  return [
    { method: 'GET', path: '/files/*key', access: 'signed-url', run: (req, p) => files.serve(req, fileKey(p['key'] ?? '')) },
    { method: 'PUT', path: '/files/*key', access: 'signed-url', run: (req, p) => files.upload(req, fileKey(p['key'] ?? '')) },
  ];
}
