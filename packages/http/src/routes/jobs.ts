/**
 * Management endpoints under /jobs (bearer-authenticated by the route table): read, list, stats, start,
 * presign, the step results of outside orchestrators (seed field names accepted), review, fail and retry.
 */
import { invalidInput, parseInput, type Job, type JobService, type Logger, type ObjectStore } from 'jobkit';
import { readJson } from '../body.js';
import { jsonResponse, type JobkitRequest, type JobkitResponse } from '../exchange.js';
import { jobFields } from '../log-context.js';
import { assertMayUpload, keyForPresign, presignPair } from '../presign.js';
import {
  backgroundsBodySchema,
  compositeBodySchema,
  failBodySchema,
  listQuerySchema,
  presignBodySchema,
  rejectBodySchema,
  segmentationBodySchema,
  shopifyBodySchema,
  startBodySchema,
} from '../schemas.js';

export interface JobRoutesDeps {
  service: JobService;
  objects: ObjectStore;
  presignExpiresInSec: number;
  jsonLimitBytes: number;
  logger: Logger;
  onJobQueued?: ((job: Job) => void) | undefined;
}

type JobRoute = (req: JobkitRequest, id: string) => Promise<JobkitResponse>;

/** One of two names for the same field (camelCase and the seed's); both at once is ambiguous. */
function alias<T>(data: Record<string, unknown>, name: string, seedName: string): T | undefined {
  if (data[name] !== undefined && data[seedName] !== undefined) throw invalidInput(seedName, `give either ${name} or ${seedName}, not both`);
  return (data[name] ?? data[seedName]) as T | undefined;
}

const LIST_FIELDS = ['status', 'sku', 'theme', 'limit', 'offset'] as const;

/** True when a worker-driven job can be claimed now (the caller wakes the worker). */
export function isRunnable(job: Job): boolean {
  return job.driver === 'worker' && job.status !== 'NEW' && job.status !== 'DONE' && job.status !== 'FAILED' && job.status !== 'REVIEW';
}

export function createJobRoutes(deps: JobRoutesDeps) {
  const { service, objects, presignExpiresInSec, jsonLimitBytes } = deps;
  const json = (req: JobkitRequest) => readJson(req, jsonLimitBytes);
  const queued = (job: Job): void => {
    if (isRunnable(job)) deps.onJobQueued?.(job);
  };
  /** Operator and orchestrator actions are logged with the job's id and SKU. */
  const logged = (job: Job, action: string): Job => {
    deps.logger.info({ ...jobFields(job), action, status: job.status }, `job ${action}`);
    return job;
  };
  const ok = (value: unknown) => jsonResponse(200, value);

  const stats = async (): Promise<JobkitResponse> => ok(await service.getJobStats());

  const list = async (req: JobkitRequest): Promise<JobkitResponse> => {
    const picked: Record<string, string | string[]> = {};
    for (const k of LIST_FIELDS) {
      const all = req.query.getAll(k);
      if (all.length > 0) picked[k] = all.length === 1 ? all[0]! : all;
    }
    return ok(await service.listJobs(parseInput(listQuerySchema, picked, 'query')));
  };

  const get: JobRoute = async (_req, id) => ok({ job: await service.requireJob(id) });
  const events: JobRoute = async (_req, id) => ok({ events: await service.listJobEvents(id) });

  const start: JobRoute = async (req, id) => {
    const data = parseInput(startBodySchema, await json(req), 'body');
    const { job, started } = await service.startJob(id, data.driver ? { driver: data.driver } : {});
    if (started) queued(logged(job, 'start'));
    if (job.driver !== 'external') return ok({ job, started });
    const [original, mask] = await Promise.all([
      presignPair(objects, keyForPresign(job, { kind: 'original' }), 'both', presignExpiresInSec),
      presignPair(objects, keyForPresign(job, { kind: 'mask' }), 'both', presignExpiresInSec),
    ]);
    return ok({ job, started, urls: { original, mask } });
  };

  const presign: JobRoute = async (req, id) => {
    const data = parseInput(presignBodySchema, await json(req), 'body');
    const job = await service.requireJob(id);
    const type = data.type ?? 'both';
    if (type !== 'get') assertMayUpload(job);
    return ok(await presignPair(objects, keyForPresign(job, data), type, presignExpiresInSec));
  };

  const segmentation: JobRoute = async (req, id) => {
    const data = parseInput(segmentationBodySchema, await json(req), 'body');
    return ok({ job: logged(await service.completeSegmentation(id, data), 'segmentation') });
  };

  const backgrounds: JobRoute = async (req, id) => {
    const data = parseInput(backgroundsBodySchema, await json(req), 'body');
    const backgroundKeys = alias<string[]>(data, 'backgroundKeys', 'bgKeys');
    if (!backgroundKeys) throw invalidInput('backgroundKeys', 'is required (or its seed name bgKeys)');
    const job = await service.completeBackgrounds(id, { backgroundKeys, ...(data.costUsd !== undefined ? { costUsd: data.costUsd } : {}) });
    return ok({ job: logged(job, 'backgrounds') });
  };

  const composite: JobRoute = async (req, id) => {
    const data = parseInput(compositeBodySchema, await json(req), 'body');
    const compositeKeys = alias<string[]>(data, 'compositeKeys', 'composites');
    if (!compositeKeys) throw invalidInput('compositeKeys', 'is required (or its seed name composites)');
    const thumbnailKeys = alias<string[]>(data, 'thumbnailKeys', 'thumbs');
    const job = await service.completeComposite(id, {
      compositeKeys,
      ...(thumbnailKeys ? { thumbnailKeys } : {}),
      ...(data.derivativeKeys ? { derivativeKeys: data.derivativeKeys } : {}),
      ...(data.costUsd !== undefined ? { costUsd: data.costUsd } : {}),
    });
    return ok({ job: logged(job, 'composite') });
  };

  const shopify: JobRoute = async (req, id) => {
    const data = parseInput(shopifyBodySchema, await json(req), 'body');
    return ok({ job: logged(await service.completeStorefrontPush(id, data), 'storefront') });
  };

  const approve: JobRoute = async (_req, id) => {
    const job = logged(await service.approveJob(id), 'approve');
    queued(job);
    return ok({ job });
  };

  const reject: JobRoute = async (req, id) => {
    const data = parseInput(rejectBodySchema, await json(req), 'body');
    const job = logged(await service.rejectJob(id, data.retryWith ? { reason: data.reason, retryWith: data.retryWith } : { reason: data.reason }), 'reject');
    queued(job);
    return ok({ job });
  };

  const fail: JobRoute = async (req, id) => {
    const data = parseInput(failBodySchema, await json(req), 'body');
    return ok({ job: logged(await service.failJob(id, data), 'fail') });
  };

  const retry: JobRoute = async (_req, id) => {
    const job = logged(await service.retryJob(id), 'retry');
    queued(job);
    return ok({ job });
  };

  return { stats, list, get, events, start, presign, segmentation, backgrounds, composite, shopify, approve, reject, fail, retry };
}
