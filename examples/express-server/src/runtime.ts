/**
 * createRuntime(config) picks the adapters: embedded defaults (SQLite file, local object store, sharp
 * providers, local storefront, in-process worker, all under one data directory), switched per integration by
 * environment variables:
 *
 *   DATABASE_URL              → PostgreSQL JobStore (@jobkit/adapter-postgres)
 *   JOBKIT_S3_BUCKET (+ …)    → S3 ObjectStore (@jobkit/adapter-s3, s3ConfigFromEnv)
 *   REPLICATE_API_TOKEN (+ …) → Replicate background generator, and Replicate as the hosted half of a segmenter
 *                               chain: the local sharp segmenter cuts first, Replicate only the photos it refuses
 *                               or cuts below JOBKIT_REVIEW_MIN_SCORE (@jobkit/provider-replicate);
 *                               with JOBKIT_REPLICATE_WEBHOOK_SECRET also POST /api/webhooks/replicate
 *   SHOPIFY_STORE_DOMAIN + SHOPIFY_ACCESS_TOKEN → Shopify storefront (@jobkit/storefront-shopify)
 *
 * Each package validates its own variables and throws INVALID_INPUT naming the variable at start-up.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  createJobService,
  createSegmenterChain,
  createLocalObjectStore,
  createLocalStorefront,
  createWorker,
  invalidInput,
  type BackgroundGenerator,
  type JobService,
  type JobStore,
  type Logger,
  type ObjectStore,
  type Segmenter,
  type Storefront,
  type Worker,
} from 'jobkit';
import { createSqliteJobStore } from '@jobkit/adapter-sqlite';
import { createPostgresJobStore } from '@jobkit/adapter-postgres';
import { createS3ObjectStore, s3ConfigFromEnv } from '@jobkit/adapter-s3';
import { createSharpProviders } from '@jobkit/provider-sharp';
import { createReplicateProviders, createReplicateWebhookHandler, replicateConfigFromEnv, type ReplicateProvidersOptions } from '@jobkit/provider-replicate';
import { createShopifyStorefront, shopifyConfigFromEnv } from '@jobkit/storefront-shopify';
import type { RawWebhookHandler } from '@jobkit/adapter-express';
import type { Config } from './config.js';
import { loadOrCreateSecret } from './secrets.js';

export interface RuntimePaths {
  dataDir: string;
  /** SQLite file (embedded default). */
  database?: string;
  /** Local object store root (embedded default). */
  objects?: string;
  /** Local storefront root (embedded default). */
  storefront?: string;
  /** Generated credentials (only when not given by environment). */
  apiTokenFile?: string;
  webhookSecretFile?: string;
}

export interface Runtime {
  service: JobService;
  store: JobStore;
  objects: ObjectStore;
  storefront: Storefront;
  worker: Worker | null;
  apiTokens: string[];
  webhookSecrets: string[];
  replicateWebhook: RawWebhookHandler | undefined;
  /** Which adapter serves each port, for the start-up log. */
  adapters: { store: string; objects: string; segmenter: string; backgrounds: string; storefront: string };
  paths: RuntimePaths;
  /** Stops the worker (in-flight steps finish within the timeout) and closes the store. */
  close(timeoutMs?: number): Promise<void>;
}

export interface RuntimeOptions {
  logger: Logger;
  /** Public origin of the server (signed file URLs are {origin}/api/files/…). */
  origin: string;
  /** Where the Replicate client connects (a proxy; a contract fake in tests). Default: api.replicate.com. */
  replicateClient?: Pick<ReplicateProvidersOptions, 'baseUrl' | 'fetch'>;
}

async function credential(given: string[], file: string, what: string, logger: Logger): Promise<{ values: string[]; file?: string }> {
  if (given.length > 0) return { values: given };
  const { value, created } = await loadOrCreateSecret(file);
  logger.info({ file }, created ? `generated ${what}; read it from the file` : `using ${what} from the file`);
  return { values: [value], file };
}

export async function createRuntime(config: Config, opts: RuntimeOptions): Promise<Runtime> {
  const { logger } = opts;
  const env = config.env;
  const dataDir = config.dataDir;
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const paths: RuntimePaths = { dataDir };

  const tokens = await credential(config.apiTokens, path.join(dataDir, 'api-token'), 'an API token (JOBKIT_API_TOKEN unset)', logger);
  if (tokens.file) paths.apiTokenFile = tokens.file;
  const secrets = await credential(config.webhookSecrets, path.join(dataDir, 'webhook-secret'), 'a webhook secret (JOBKIT_WEBHOOK_SECRET unset)', logger);
  if (secrets.file) paths.webhookSecretFile = secrets.file;
  // Persisted so signed file URLs survive a restart.
  const signingSecret = config.fileSigningSecret ?? (await loadOrCreateSecret(path.join(dataDir, 'file-signing-secret'))).value;

  // Read every integration's variables before opening anything: a misconfiguration fails fast.
  const s3 = s3ConfigFromEnv(env);
  const replicate = replicateConfigFromEnv(env);
  const shopify = shopifyConfigFromEnv(env);
  const databaseUrl = env['DATABASE_URL']?.trim() || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl))
    throw invalidInput('DATABASE_URL', 'must be a postgres:// or postgresql:// connection string');

  let store: JobStore;
  let storeName: string;
  if (databaseUrl) {
    store = await createPostgresJobStore({ connectionString: databaseUrl, logger });
    storeName = 'postgres';
  } else {
    paths.database = path.join(dataDir, 'jobkit.db');
    store = createSqliteJobStore({ filename: paths.database });
    storeName = 'sqlite';
  }

  try {
    let objects: ObjectStore;
    let objectsName: string;
    if (s3) {
      objects = createS3ObjectStore(s3);
      objectsName = `s3 (${s3.bucket})`;
    } else {
      paths.objects = path.join(dataDir, 'objects');
      objects = createLocalObjectStore({ dir: paths.objects, baseUrl: `${opts.origin}/api`, signingSecret });
      objectsName = 'local files';
    }

    const sharp = createSharpProviders({
      compositor: { derivatives: { formats: config.derivativeFormats } },
      ...(config.imageThreads !== undefined ? { threads: config.imageThreads } : {}),
      ...(config.imageMaxPixels !== undefined ? { maxPixels: config.imageMaxPixels } : {}),
    });
    // Scores every cutout that comes without a quality of its own (hosted cuts): the review hold judges them too.
    const { qualityGate } = sharp;
    let segmenter: Segmenter = sharp.segmenter;
    let backgrounds: BackgroundGenerator = sharp.backgrounds;
    if (replicate) {
      const r = createReplicateProviders({ ...replicate, ...opts.replicateClient, themes: sharp.themes });
      // Local first: Replicate is paid only for the photos the studio segmenter refuses or cuts doubtfully.
      segmenter = createSegmenterChain([sharp.segmenter, r.segmenter], { minScore: config.reviewMinScore, gate: qualityGate });
      backgrounds = r.backgroundGenerator;
    }

    let storefront: Storefront;
    if (shopify) {
      storefront = createShopifyStorefront({ ...shopify, logger });
    } else {
      paths.storefront = path.join(dataDir, 'storefront');
      storefront = createLocalStorefront({ dir: paths.storefront });
    }

    const service = createJobService({
      store,
      logger,
      objects,
      themes: sharp.themes,
      addressPolicy: { allowPrivate: config.allowPrivateImageUrls },
      review: config.review,
      reviewMinScore: config.reviewMinScore,
      // A reviewer may send a rejected cut to the hosted segmenter only when there is one.
      hostedSegmenter: replicate !== null,
      ...(config.maxImagesPerSku !== undefined ? { maxImagesPerSku: config.maxImagesPerSku } : {}),
    });

    const worker = config.worker
      ? createWorker({
          service,
          objects,
          segmenter,
          backgrounds,
          compositor: sharp.compositor,
          storefront,
          concurrency: config.workerConcurrency,
          logger,
          qualityGate,
          ...(config.dailyBudgetUsd !== undefined ? { dailyBudgetUsd: config.dailyBudgetUsd } : {}),
        })
      : null;

    let replicateWebhook: RawWebhookHandler | undefined;
    if (replicate?.mode === 'webhook' && replicate.webhookSecret) {
      replicateWebhook = createReplicateWebhookHandler({
        secrets: replicate.webhookSecret,
        logger,
        wake: async (jobId) => {
          await service.wakeJob(jobId);
          worker?.wake();
        },
      });
    }

    return {
      service,
      store,
      objects,
      storefront,
      worker,
      apiTokens: tokens.values,
      webhookSecrets: secrets.values,
      replicateWebhook,
      adapters: {
        store: storeName,
        objects: objectsName,
        segmenter: segmenter.name,
        backgrounds: backgrounds.name,
        storefront: storefront.name,
      },
      paths,
      async close(timeoutMs = config.shutdownTimeoutMs) {
        try {
          await worker?.stop({ timeoutMs });
        } finally {
          await store.close();
        }
      },
    };
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
}
