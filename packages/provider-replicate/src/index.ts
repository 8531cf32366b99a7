// @jobkit/provider-replicate: Segmenter and BackgroundGenerator on Replicate, plus the webhook handler.
export {
  createReplicateSegmenter,
  replicateSegmenterOn,
  defaultSegmentInput,
  DEFAULT_SEGMENT_MODEL,
  DEFAULT_SEGMENT_PRICING,
  type ReplicateSegmenterOptions,
  type SegmentInputContext,
} from './segmenter.js';
export {
  createReplicateBackgroundGenerator,
  replicateBackgroundGeneratorOn,
  defaultBackgroundInput,
  DEFAULT_BACKGROUND_MODEL,
  DEFAULT_BACKGROUND_PRICING,
  DEFAULT_PROMPT_SUFFIX,
  type ReplicateBackgroundGeneratorOptions,
  type BackgroundInputContext,
} from './background-generator.js';
export { createReplicateProviders, type ReplicateProviders, type ReplicateProvidersOptions } from './providers.js';
export {
  createReplicateWebhookHandler,
  type ReplicateWebhookHandler,
  type ReplicateWebhookHandlerOptions,
  type ReplicateWebhookRequest,
  type ReplicateWebhookResponse,
} from './webhook-handler.js';
export { replicateConfigFromEnv, type ReplicateEnvConfig } from './config-from-env.js';
export { createReplicateRuntime, webhookUrlFor, type ReplicateRuntime, type ReplicateRuntimeOptions, type ReplicateMode, type Sleep } from './runtime.js';
export { HARDWARE_USD_PER_SECOND, predictionCost, type Pricing } from './pricing.js';
export { parseRetryAfterMs } from './error-mapping.js';
export { closestAspectRatio, FLUX_ASPECT_RATIOS } from './aspect-ratio.js';
export { parseProviderRef, type ParsedRef } from './provider-ref.js';
export type { FetchLike } from './guarded-fetch.js';
