/** The Express application: the jobkit router under /api, nothing else global (no JSON parser in front of the webhook). */
import express, { type Express } from 'express';
import { createJobkitRouter } from '@jobkit/adapter-express';
import type { Logger } from 'jobkit';
import type { Config } from './config.js';
import type { Runtime } from './runtime.js';

export function createApp(runtime: Runtime, config: Config, logger: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  const worker = runtime.worker;
  app.use(
    '/api',
    createJobkitRouter({
      service: runtime.service,
      objects: runtime.objects,
      webhook: { secrets: runtime.webhookSecrets },
      auth: { tokens: runtime.apiTokens },
      autoStart: config.autoStart,
      logger,
      ...(worker ? { onJobQueued: () => worker.wake() } : {}),
      ...(runtime.replicateWebhook ? { replicateWebhook: runtime.replicateWebhook } : {}),
      env: config.env,
    }),
  );
  app.get('/', (_req, res) => {
    res.json({ name: 'jobkit example server', api: '/api', openapi: '/api/openapi.json', health: '/api/healthz' });
  });
  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'not found' } });
  });
  return app;
}
