/**
 * The embedded pipeline on one data directory: SQLite job store ({dataDir}/jobs.db), local object store
 * ({dataDir}/objects), and — for commands that run jobs — provider-sharp (segmenter, quality gate,
 * backgrounds, compositor), the local storefront and a worker. With a hosted segmenter configured
 * (REPLICATE_API_TOKEN) the segmenter is the local-first chain [sharp, Replicate].
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import {
  createJobService,
  createLocalObjectStore,
  createLocalStorefront,
  createSegmenterChain,
  createWorker,
  type AddressPolicy,
  type JobService,
  type LocalObjectStore,
  type LocalStorefront,
  type QualityGate,
  type Segmenter,
  type Worker,
} from 'jobkit';
import { createSqliteJobStore, type SqliteJobStore } from '@jobkit/adapter-sqlite';
import { createSharpProviders } from '@jobkit/provider-sharp';
import { createReplicateProviders } from '@jobkit/provider-replicate';
import type { HostedSegmenterConfig } from './hosted-segmenter.js';
import { UsageError } from './io.js';
import { compositorOptions, type PipelineSettings } from './pipeline-options.js';
import type { ReviewOptions } from './review-options.js';

const DB_FILE = 'jobs.db';

export interface RuntimeOptions {
  dataDir: string;
  /** false: refuse a data dir without a database (read commands should not create one by accident). */
  create: boolean;
  addressPolicy?: AddressPolicy | undefined;
  /** The review policy of jobs composited in this process (default: the core's, doubtful at 0.6). */
  review?: ReviewOptions | undefined;
  /** The hosted segmenter the pipeline falls back to (lets `rejectJob` re-segment with it); null = local only. */
  hosted?: HostedSegmenterConfig | null | undefined;
}

export interface Runtime {
  dataDir: string;
  dbFile: string;
  store: SqliteJobStore;
  objects: LocalObjectStore;
  service: JobService;
  hosted: HostedSegmenterConfig | null;
  close(): Promise<void>;
}

export function databasePath(dataDir: string): string {
  return path.join(dataDir, DB_FILE);
}

export async function openRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const dbFile = databasePath(opts.dataDir);
  if (!opts.create && !existsSync(dbFile)) {
    throw new UsageError(`no jobkit database in ${opts.dataDir} (wrong --data-dir? \`jobkit process\` or \`jobkit migrate\` creates one)`);
  }
  await fs.mkdir(opts.dataDir, { recursive: true });
  const store = createSqliteJobStore({ filename: dbFile });
  const objects = createLocalObjectStore({ dir: path.join(opts.dataDir, 'objects') });
  // The CLI lists up to 1000 jobs per page (the HTTP API keeps the core's default of 200).
  const hosted = opts.hosted ?? null;
  const service = createJobService({
    store,
    objects,
    maxListLimit: 1000,
    ...(opts.addressPolicy ? { addressPolicy: opts.addressPolicy } : {}),
    ...(opts.review ? { review: opts.review.policy, reviewMinScore: opts.review.minScore } : {}),
    hostedSegmenter: hosted !== null,
  });
  return {
    dataDir: opts.dataDir,
    dbFile,
    store,
    objects,
    service,
    hosted,
    close: () => store.close(),
  };
}

export interface PipelineOptions {
  storefrontDir: string;
  settings: PipelineSettings;
  concurrency: number;
}

export interface Pipeline {
  worker: Worker;
  storefront: LocalStorefront;
  /** The local segmenter, or the chain "local+hosted" (its name says which). */
  segmenter: Segmenter;
}

export function openPipeline(runtime: Runtime, opts: PipelineOptions): Pipeline {
  const sharp = createSharpProviders({ themes: runtime.service.themes, compositor: compositorOptions(opts.settings) });
  const qualityGate = sharp.qualityGate;
  const segmenter = runtime.hosted ? localFirst(runtime, sharp.segmenter, qualityGate) : sharp.segmenter;
  const storefront = createLocalStorefront({ dir: opts.storefrontDir });
  const worker = createWorker({
    service: runtime.service,
    objects: runtime.objects,
    segmenter,
    // Scores cuts that come without a quality of their own, so the review policy judges every cut.
    qualityGate,
    backgrounds: sharp.backgrounds,
    compositor: sharp.compositor,
    storefront,
    concurrency: opts.concurrency,
    // SQLite has no change notifications: poll often, the queries are cheap and local.
    pollIntervalMs: 100,
  });
  return { worker, storefront, segmenter };
}

/** The chain [local, hosted]: the hosted cut only when the local one refuses or scores below the review threshold. */
function localFirst(runtime: Runtime, local: Segmenter, gate: QualityGate): Segmenter {
  const hosted = runtime.hosted!;
  const replicate = createReplicateProviders({ ...hosted.replicate, ...(hosted.fetch ? { fetch: hosted.fetch } : {}) });
  return createSegmenterChain([local, replicate.segmenter], { minScore: runtime.service.review.minScore, gate });
}
