// jobkit core: the public API.
export * from './errors.js';
export * from './domain/status.js';
export * from './domain/job.js';
export * from './domain/state-machine.js';
export * from './domain/keys.js';
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
export * from './retry-policy.js';
export * from './webhook/verify.js';
export * from './ports/index.js';
export { createMemoryJobStore } from './memory/memory-job-store.js';
export { createMemoryObjectStore, type MemoryObjectStore } from './memory/memory-object-store.js';
export { validatePresignOptions } from './local/presign-validation.js';
export * from './domain/themes.js';
export {
  createJobService,
  type JobService,
  type JobServiceOptions,
  type CreateJobInput,
  type CreateJobResult,
  type ListJobsInput,
  type StepMeta,
} from './service/job-service.js';
export { assertFetchableUrl } from './security/url-guard.js';
export { forbiddenAddressReason, isLocalHostname, type AddressPolicy } from './security/address-policy.js';
export { utcMidnight } from './util/clone.js';
