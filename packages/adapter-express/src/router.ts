/**
 * createJobkitRouter: the seed's HTTP API as an Express 5 Router. Mount it under a prefix (e.g. /api)
 * WITHOUT a global JSON parser in front of the webhook routes: each route parses its own body (raw for
 * signed webhooks, JSON for management calls) so signatures are always checked on the exact bytes.
 */
import { Router, type RequestHandler } from 'express';
import { JobkitError, invalidInput } from 'jobkit';
import { requireBearer, resolveAuth } from './auth.js';
import { createErrorHandler } from './errors.js';
import { createFilesRouter, supportsSignedFiles } from './files.js';
import { createMetricsHandler } from './metrics.js';
import { buildOpenApiDocument } from './openapi.js';
import type { JobkitRouterOptions } from './options.js';
import { createHealthRoutes } from './routes/health.js';
import { createJobRoutes } from './routes/jobs.js';
import { bodyBytes, createWebhookHandler, rawBody, resolveWebhook } from './webhook.js';

const DEFAULT_MAX_UPLOAD = 25 * 1024 * 1024;

function positiveInt(value: number | undefined, fallback: number, field: string, max = Number.MAX_SAFE_INTEGER): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1 || v > max) throw invalidInput(field, `must be an integer 1..${max}`);
  return v;
}

/** Security headers on every response of the router. */
const securityHeaders: RequestHandler = (_req, res, next) => {
  res.removeHeader('x-powered-by');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('cache-control', 'no-store');
  next();
};

export function createJobkitRouter(opts: JobkitRouterOptions): Router {
  if (!opts || typeof opts !== 'object') throw invalidInput('options', 'must be an object');
  if (!opts.service || typeof opts.service.createJob !== 'function') throw invalidInput('service', 'a JobService is required');
  if (!opts.objects || typeof opts.objects.presign !== 'function') throw invalidInput('objects', 'an ObjectStore is required');
  const service = opts.service;
  const objects = opts.objects;
  const logger = (opts.logger ?? service.logger).child({ component: 'http' });
  const webhook = resolveWebhook(opts.webhook, opts.env ?? process.env);
  const tokens = resolveAuth(opts.auth);
  const presignExpiresInSec = positiveInt(opts.presignExpiresInSec, 3600, 'presignExpiresInSec', 7 * 24 * 3600);
  const maxUploadBytes = positiveInt(opts.maxUploadBytes, DEFAULT_MAX_UPLOAD, 'maxUploadBytes');
  const jsonLimitBytes = positiveInt(opts.jsonLimitBytes, 100 * 1024, 'jsonLimitBytes');
  if (opts.replicateWebhook !== undefined && typeof opts.replicateWebhook !== 'function') throw invalidInput('replicateWebhook', 'must be a function');
  if (opts.extraRoutes !== undefined && typeof opts.extraRoutes !== 'function') throw invalidInput('extraRoutes', 'must be a function');
  if (opts.metrics !== undefined && typeof opts.metrics?.render !== 'function') throw invalidInput('metrics', 'must be the result of createJobkitMetrics(...)');
  if (webhook.unsigned) logger.warn({}, 'webhook signatures are NOT verified (webhook.allowUnsigned): local development only');

  const files = supportsSignedFiles(objects);
  const openapi = JSON.stringify(
    buildOpenApiDocument({ files, replicateWebhook: opts.replicateWebhook !== undefined, ...(opts.metrics ? { metrics: opts.metricsPublic === true ? 'public' : 'token' } : {}) }),
  );

  const router = Router();
  router.use(securityHeaders);

  // Signed by the sender. First, as it is the hot path.
  router.post(
    '/webhooks/3jms/images',
    rawBody(webhook.maxBodyBytes),
    createWebhookHandler({ service, webhook, autoStart: opts.autoStart === true, logger, onJobQueued: opts.onJobQueued }),
  );
  const replicate = opts.replicateWebhook;
  if (replicate) {
    router.post('/webhooks/replicate', rawBody(webhook.maxBodyBytes), async (req, res) => {
      const result = await replicate({ rawBody: bodyBytes(req.body), headers: req.headers, query: req.query as Record<string, unknown> });
      res.status(result.status).json(result.body ?? {});
    });
  }

  // Open routes.
  router.use(createHealthRoutes(service, logger));
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi);
  });

  // Signed URLs of the local object store.
  if (files) router.use(createFilesRouter(objects, maxUploadBytes));

  // Prometheus: bearer token unless explicitly public (a scraper on a private network).
  if (opts.metrics) router.get('/metrics', createMetricsHandler(opts.metrics, { auth: opts.auth, public: opts.metricsPublic === true, logger }));

  // Management: bearer token.
  router.use('/jobs', requireBearer(tokens), createJobRoutes({ service, objects, presignExpiresInSec, jsonLimitBytes, logger, onJobQueued: opts.onJobQueued }));

  opts.extraRoutes?.(router);

  router.use((req, _res, next) => {
    next(new JobkitError('NOT_FOUND', `no route ${req.method} ${req.baseUrl}${req.path}`));
  });
  router.use(createErrorHandler(logger, service));
  return router;
}

