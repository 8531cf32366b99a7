/** GET /healthz (the process answers) and GET /readyz (the job store answers, 503 otherwise). Open. */
import { Router } from 'express';
import type { JobService, Logger } from 'jobkit';

export function createHealthRoutes(service: JobService, logger: Logger, readyTimeoutMs = 2_000): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        service.store.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`store ping timed out after ${readyTimeoutMs} ms`)), readyTimeoutMs);
        }),
      ]);
      res.json({ status: 'ready' });
    } catch (e) {
      logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'readiness check failed');
      res.status(503).json({ error: { code: 'STORAGE_FAILED', message: 'the job store is not reachable' } });
    } finally {
      clearTimeout(timer);
    }
  });
  return router;
}
