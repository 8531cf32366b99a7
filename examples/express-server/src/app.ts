/**
 * The Express application: the jobkit router under /api (with Prometheus metrics at /api/metrics) and the
 * operator dashboard under /dashboard. Nothing global in front (no JSON parser before the webhook).
 */
import express, { type Express } from 'express';
import { createJobkitDashboard, createJobkitMetrics, createJobkitRouter, instrumentWorker } from '@jobkit/adapter-express';
import type { Logger } from 'jobkit';
import type { Config } from './config.js';
import type { Runtime } from './runtime.js';

export function createApp(runtime: Runtime, config: Config, logger: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  const worker = runtime.worker;
  const onJobQueued = worker ? { onJobQueued: () => worker.wake() } : {};
  const metrics = createJobkitMetrics({ service: runtime.service, defaultMetrics: true, logger });
  if (worker) instrumentWorker(worker, metrics);
  app.use(
    '/api',
    createJobkitRouter({
      service: runtime.service,
      objects: runtime.objects,
      webhook: { secrets: runtime.webhookSecrets },
      auth: { tokens: runtime.apiTokens },
      autoStart: config.autoStart,
      logger,
      metrics,
      metricsPublic: config.metricsPublic,
      ...onJobQueued,
      ...(runtime.replicateWebhook ? { replicateWebhook: runtime.replicateWebhook } : {}),
      env: config.env,
    }),
  );
  app.use(
    '/dashboard',
    createJobkitDashboard({
      service: runtime.service,
      objects: runtime.objects,
      auth: { tokens: runtime.apiTokens },
      logger,
      // Behind a TLS proxy (JOBKIT_PUBLIC_URL=https://…) the session cookie is always Secure.
      secureCookie: config.publicUrl?.startsWith('https://') ? true : 'auto',
      ...onJobQueued,
    }),
  );
  app.get('/', (_req, res) => {
    res.json({
      name: 'jobkit example server',
      api: '/api',
      dashboard: '/dashboard',
      metrics: '/api/metrics',
      openapi: '/api/openapi.json',
      health: '/api/healthz',
    });
  });
  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'not found' } });
  });
  return app;
}
