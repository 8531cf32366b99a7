// jobkit core: the public API.
export * from './errors.js';
export * from './domain/status.js';
export * from './domain/job.js';
export * from './domain/state-machine.js';
export * from './domain/keys.js';
export * from './domain/image-types.js';
export {
  SKU_PATTERN,
  SHA256_PATTERN,
  THEME_PATTERN,
  skuSchema,
  sha256Schema,
  themeSchema,
  jobIdSchema,
  statusSchema,
  driverSchema,
  httpUrlSchema,
  parseInput,
} from './domain/validation.js';
export { costUsdSchema, errorCodeSchema, listJobsQuerySchema, rejectJobSchema } from './domain/request-schemas.js';
export * from './retry-policy.js';
export * from './webhook/verify.js';
export * from './ports/index.js';
export { createMemoryJobStore } from './memory/memory-job-store.js';
export { createMemoryObjectStore, type MemoryObjectStore } from './memory/memory-object-store.js';
export { validatePresignOptions, presignSha256 } from './local/presign-validation.js';
export { expectedSha256OfKey, assertUploadChecksum } from './security/upload-checksum.js';
export * from './domain/themes.js';
export {
  createJobService,
  type JobService,
  type JobServiceOptions,
  type CreateJobInput,
  type CreateJobResult,
  type ListJobsInput,
  type StepMeta,
  type StepResult,
  type StepFailureOutcome,
  type ReviewPolicy,
  type ReviewSettings,
  type RejectJobInput,
  REVIEW_POLICIES,
} from './service/job-service.js';
export { createSegmenterChain, isSegmenterChain, type SegmenterChain, type SegmenterChainOptions } from './segment/segmenter-chain.js';
export { assertFetchableUrl } from './security/url-guard.js';
export { forbiddenAddressReason, type AddressPolicy } from './security/address-policy.js';
export { utcMidnight } from './util/clone.js';
export { statsFrom, roundUsd, type StatsAggregates } from './util/stats.js';
export { createWorker, type Worker, type WorkerOptions } from './worker/worker.js';
export type { WorkerEvents, WorkerEventName, WorkerListener } from './worker/events.js';
export { fetchOriginal, extensionForContentType, type FetchOriginalOptions, type FetchedOriginal } from './worker/fetch-original.js';
export { createLimiter, type Limiter, type LimitOptions } from './worker/limiter.js';
export { createLocalObjectStore, type LocalObjectStore, type LocalObjectStoreOptions } from './local/local-object-store.js';
export { createLocalStorefront, type LocalStorefront, type LocalStorefrontOptions, type LocalMediaItem } from './local/local-storefront.js';
export { buildSignedUrl, verifySignedRequest, signUrlParams, type SignedUrlParams } from './local/signed-url.js';
