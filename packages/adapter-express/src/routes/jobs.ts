/**
 * Management endpoints, mounted at /jobs (bearer-authenticated by the router): read, list, stats, start, presign,
 * the step results of outside orchestrators (seed field names accepted), fail and retry.
 */
import express, { Router, type RequestHandler } from 'express';
import { JobkitError, invalidInput, parseInput, type Job, type JobService, type Logger, type ObjectStore } from 'jobkit';
import { jobFields } from '../log-context.js';
import {
  backgroundsBodySchema,
  compositeBodySchema,
  failBodySchema,
  listQuerySchema,
  presignBodySchema,
  segmentationBodySchema,
  shopifyBodySchema,
  startBodySchema,
} from '../schemas.js';
import { assertMayUpload, keyForPresign, presignPair } from '../presign.js';

export interface JobRoutesDeps {
  service: JobService;
  objects: ObjectStore;
  presignExpiresInSec: number;
  jsonLimitBytes: number;
  logger: Logger;
  onJobQueued?: ((job: Job) => void) | undefined;
}

/** Refuses a body that is not JSON (415) instead of silently treating it as empty. */
const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is(['application/json', 'application/*+json'])) {
    next(new JobkitError('UNSUPPORTED_MEDIA_TYPE', 'request body must be application/json'));
    return;
  }
  next();
};

const body = (value: unknown): unknown => value ?? {};

/** One of two names for the same field (camelCase and the seed's); both at once is ambiguous. */
function alias<T>(data: Record<string, unknown>, name: string, seedName: string): T | undefined {
  if (data[name] !== undefined && data[seedName] !== undefined) throw invalidInput(seedName, `give either ${name} or ${seedName}, not both`);
  return (data[name] ?? data[seedName]) as T | undefined;
}

export function createJobRoutes(deps: JobRoutesDeps): Router {
  const { service, objects, presignExpiresInSec } = deps;
  const router = Router();
  router.use(requireJsonBody, express.json({ limit: deps.jsonLimitBytes, type: ['application/json', 'application/*+json'] }));

  const queued = (job: Job): void => {
    if (job.driver === 'worker' && job.status !== 'NEW' && job.status !== 'DONE' && job.status !== 'FAILED') deps.onJobQueued?.(job);
  };
  /** Operator and orchestrator actions are logged with the job's id and SKU. */
  const logged = (job: Job, action: string): Job => {
    deps.logger.info({ ...jobFields(job), action, status: job.status }, `job ${action}`);
    return job;
  };
  const id = (params: Record<string, string | string[] | undefined>): string => String(params['id']);

  // Literal paths before /:id.
  router.get('/stats', async (_req, res) => {
    res.json(await service.getJobStats());
  });

  router.get('/', async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const picked = Object.fromEntries(['status', 'sku', 'theme', 'limit', 'offset'].filter((k) => q[k] !== undefined).map((k) => [k, q[k]]));
    const filter = parseInput(listQuerySchema, picked, 'query');
    res.json(await service.listJobs(filter));
  });

  router.get('/:id', async (req, res) => {
    res.json({ job: await service.requireJob(id(req.params)) });
  });

  router.get('/:id/events', async (req, res) => {
    res.json({ events: await service.listJobEvents(id(req.params)) });
  });

  router.post('/:id/start', async (req, res) => {
    const data = parseInput(startBodySchema, body(req.body), 'body');
    const { job, started } = await service.startJob(id(req.params), data.driver ? { driver: data.driver } : {});
    if (started) queued(logged(job, 'start'));
    if (job.driver !== 'external') {
      res.json({ job, started });
      return;
    }
    const [original, mask] = await Promise.all([
      presignPair(objects, keyForPresign(job, { kind: 'original' }), 'both', presignExpiresInSec),
      presignPair(objects, keyForPresign(job, { kind: 'mask' }), 'both', presignExpiresInSec),
    ]);
    res.json({ job, started, urls: { original, mask } });
  });

  router.post('/:id/presign', async (req, res) => {
    const data = parseInput(presignBodySchema, body(req.body), 'body');
    const job = await service.requireJob(id(req.params));
    const type = data.type ?? 'both';
    if (type !== 'get') assertMayUpload(job);
    res.json(await presignPair(objects, keyForPresign(job, data), type, presignExpiresInSec));
  });

  router.post('/:id/segmentation', async (req, res) => {
    const data = parseInput(segmentationBodySchema, body(req.body), 'body');
    res.json({ job: logged(await service.completeSegmentation(id(req.params), data), 'segmentation') });
  });

  router.post('/:id/backgrounds', async (req, res) => {
    const data = parseInput(backgroundsBodySchema, body(req.body), 'body');
    const backgroundKeys = alias<string[]>(data, 'backgroundKeys', 'bgKeys');
    if (!backgroundKeys) throw invalidInput('backgroundKeys', 'is required (or its seed name bgKeys)');
    res.json({ job: logged(await service.completeBackgrounds(id(req.params), { backgroundKeys, ...(data.costUsd !== undefined ? { costUsd: data.costUsd } : {}) }), 'backgrounds') });
  });

  router.post('/:id/composite', async (req, res) => {
    const data = parseInput(compositeBodySchema, body(req.body), 'body');
    const compositeKeys = alias<string[]>(data, 'compositeKeys', 'composites');
    if (!compositeKeys) throw invalidInput('compositeKeys', 'is required (or its seed name composites)');
    const thumbnailKeys = alias<string[]>(data, 'thumbnailKeys', 'thumbs');
    res.json({
      job: logged(await service.completeComposite(id(req.params), {
        compositeKeys,
        ...(thumbnailKeys ? { thumbnailKeys } : {}),
        ...(data.derivativeKeys ? { derivativeKeys: data.derivativeKeys } : {}),
        ...(data.costUsd !== undefined ? { costUsd: data.costUsd } : {}),
      }), 'composite'),
    });
  });

  router.post('/:id/shopify', async (req, res) => {
    const data = parseInput(shopifyBodySchema, body(req.body), 'body');
    res.json({ job: logged(await service.completeStorefrontPush(id(req.params), data), 'storefront') });
  });

  router.post('/:id/fail', async (req, res) => {
    const data = parseInput(failBodySchema, body(req.body), 'body');
    res.json({ job: logged(await service.failJob(id(req.params), data), 'fail') });
  });

  router.post('/:id/retry', async (req, res) => {
    const job = logged(await service.retryJob(id(req.params)), 'retry');
    queued(job);
    res.json({ job });
  });

  return router;
}
