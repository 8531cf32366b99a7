export { createShopifyStorefront, type ShopifyStorefront } from './storefront.js';
export {
  DEFAULT_API_VERSION,
  type ShopifyStorefrontOptions,
  type ShopifyCredentialsOptions,
  type ShopifyClientOptions,
  type CustomFetchApi,
} from './options.js';
export { shopifyConfigFromEnv, type ShopifyEnvConfig } from './env.js';
export { createMemoryProductIdCache, type ProductIdCache } from './product-cache.js';
export { buildAltText, renderAltTemplate, altHasMarker, DEFAULT_ALT_TEMPLATE, MAX_ALT_LENGTH } from './alt-text.js';
export { skuSearchQuery } from './search-query.js';
export { throttleWaitMs, type ThrottleStatus } from './cost-bucket.js';
export type { ShopifyGraphQLClient, ShopifyClientResponse } from './admin-transport.js';
export type { UploadFetch } from './staged-upload.js';
