/** GET /healthz (the process answers) and GET /readyz (the job store answers, 503 otherwise). Open. */
import type { JobService, Logger } from 'jobkit';
import { jsonResponse, type JobkitResponse } from '../exchange.js';

export function createHealthRoutes(service: JobService, logger: Logger, readyTimeoutMs = 2_000) {
  const healthz = async (): Promise<JobkitResponse> => jsonResponse(200, { status: 'ok' });
  const readyz = async (): Promise<JobkitResponse> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        service.store.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`store ping timed out after ${readyTimeoutMs} ms`)), readyTimeoutMs);
        }),
      ]);
      return jsonResponse(200, { status: 'ready' });
    } catch (e) {
      logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'readiness check failed');
      return jsonResponse(503, { error: { code: 'STORAGE_FAILED', message: 'the job store is not reachable' } });
    } finally {
      clearTimeout(timer);
    }
  };
  return { healthz, readyz };
}
