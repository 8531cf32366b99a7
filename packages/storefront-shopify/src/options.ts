/** Options of `createShopifyStorefront`, their defaults and validation. */
import { invalidInput, type Logger } from 'jobkit';
import type { ShopifyGraphQLClient } from './admin-transport.js';
import type { ProductIdCache } from './product-cache.js';
import type { UploadFetch } from './staged-upload.js';
import { DEFAULT_ALT_TEMPLATE } from './alt-text.js';

/**
 * Admin API version used when none is given: the stable release of October 2026. Shopify supports each
 * stable version for at least 12 months; pin your own with `apiVersion` (or SHOPIFY_API_VERSION) and move
 * it forward deliberately — versions change response shapes.
 */
export const DEFAULT_API_VERSION = '2026-10';

const API_VERSION_PATTERN = /^(\d{4}-(01|04|07|10)|unstable)$/;

/** `fetch`-compatible function the Admin API client uses (e.g. to route through a proxy, or in tests). */
export type CustomFetchApi = (
  url: string,
  init?: { method?: string; headers?: HeadersInit; body?: string; signal?: AbortSignal; keepalive?: boolean },
) => Promise<Response>;

interface CommonOptions {
  /** Storefront name reported to the worker (default `shopify`). */
  name?: string;
  /** SKU → product id cache (default: in memory, LRU bounded by `productCacheSize`). */
  cache?: ProductIdCache;
  /** Size of the default cache (default 10 000). */
  productCacheSize?: number;
  /**
   * Alt text template; `{title}` (product title), `{theme}`, `{sku}`, `{aspect}`, `{variant}`.
   * Default `{title} — {theme}`. The marker is appended; the whole is cut to 512 characters.
   */
  altTemplate?: string;
  /** How bytes reach Shopify's staged upload target: multipart `POST` (default) or signed-URL `PUT`. */
  stagedUploadMethod?: 'POST' | 'PUT';
  /**
   * When true and the image source has a public URL (e.g. a presigned S3 URL), Shopify fetches it directly
   * and the staged upload is skipped. Default false.
   */
  usePublicUrl?: boolean;
  /** Lifetime asked for those public URLs (default 3600 s: Shopify may fetch late under load). */
  publicUrlExpiresInSec?: number;
  /** `fetch` used for the staged upload itself (default: global fetch). */
  uploadFetch?: UploadFetch;
  /** Media items per page when listing a product's media (1–250, default 250). */
  mediaPageSize?: number;
  /** First wait before polling new media, growing ×1.5 per poll up to `pollMaxIntervalMs` (default 1000). */
  pollIntervalMs?: number;
  /** Longest wait between polls (default 10 000). */
  pollMaxIntervalMs?: number;
  /** Give up waiting for READY after this long with a retryable PROVIDER_TIMEOUT (default 120 000). */
  pollTimeoutMs?: number;
  /** Longest throttle wait done in-process; longer ones throw RATE_LIMITED for the worker (default 10 000). */
  maxThrottleWaitMs?: number;
  /** THROTTLED/429 answers one call may wait out in-process before throwing RATE_LIMITED (default 3). */
  maxThrottleRetries?: number;
  /** Receives the client's own notices (unsupported API version, deprecated fields). Default silent. */
  logger?: Logger;
}

export interface ShopifyCredentialsOptions extends CommonOptions {
  /** `my-shop.myshopify.com` (a scheme is allowed and ignored; the client always uses https). */
  storeDomain: string;
  /** Admin API access token (custom app: `shpat_…`). */
  accessToken: string;
  /** Admin API version, e.g. `2026-10` (default {@link DEFAULT_API_VERSION}). */
  apiVersion?: string;
  /** Passed to the Admin API client as `customFetchApi`. */
  customFetchApi?: CustomFetchApi;
  /** Prefix for the client's User-Agent. */
  userAgentPrefix?: string;
  client?: undefined;
}

export interface ShopifyClientOptions extends CommonOptions {
  /**
   * A ready client (e.g. `createAdminApiClient(...)` of your own). Create it with `retries: 0` (the default):
   * this package handles retries and throttling itself and passes `retries: 0` per request.
   */
  client: ShopifyGraphQLClient;
  storeDomain?: string;
  accessToken?: string;
  apiVersion?: string;
}

export type ShopifyStorefrontOptions = ShopifyCredentialsOptions | ShopifyClientOptions;

export interface ResolvedOptions {
  name: string;
  altTemplate: string;
  stagedUploadMethod: 'POST' | 'PUT';
  usePublicUrl: boolean;
  publicUrlExpiresInSec: number;
  mediaPageSize: number;
  pollIntervalMs: number;
  pollMaxIntervalMs: number;
  pollTimeoutMs: number;
  maxThrottleWaitMs: number;
  maxThrottleRetries: number;
  productCacheSize: number;
}

function int(field: string, value: number | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidInput(field, `must be an integer between ${min} and ${max}`);
  }
  return value;
}

export function validateApiVersion(field: string, value: string): string {
  const v = value.trim();
  if (!API_VERSION_PATTERN.test(v)) throw invalidInput(field, 'must look like 2026-10 (YYYY-01|04|07|10) or "unstable"');
  return v;
}

export function resolveOptions(opts: ShopifyStorefrontOptions): ResolvedOptions {
  if (typeof opts !== 'object' || opts === null) throw invalidInput('options', 'must be an object');
  if (opts.client === undefined) {
    if (typeof opts.storeDomain !== 'string' || opts.storeDomain.trim() === '') {
      throw invalidInput('storeDomain', 'is required (e.g. my-shop.myshopify.com)');
    }
    if (typeof opts.accessToken !== 'string' || opts.accessToken.trim() === '') {
      throw invalidInput('accessToken', 'is required');
    }
  } else if (typeof opts.client.request !== 'function') {
    throw invalidInput('client', 'must have a request() method (an AdminApiClient)');
  }
  if (opts.apiVersion !== undefined) validateApiVersion('apiVersion', opts.apiVersion);
  const altTemplate = opts.altTemplate ?? DEFAULT_ALT_TEMPLATE;
  if (typeof altTemplate !== 'string') throw invalidInput('altTemplate', 'must be a string');
  const method = opts.stagedUploadMethod ?? 'POST';
  if (method !== 'POST' && method !== 'PUT') throw invalidInput('stagedUploadMethod', 'must be POST or PUT');
  const pollIntervalMs = int('pollIntervalMs', opts.pollIntervalMs, 1_000, 1);
  return {
    name: opts.name ?? 'shopify',
    altTemplate,
    stagedUploadMethod: method,
    usePublicUrl: opts.usePublicUrl ?? false,
    publicUrlExpiresInSec: int('publicUrlExpiresInSec', opts.publicUrlExpiresInSec, 3_600, 60),
    mediaPageSize: int('mediaPageSize', opts.mediaPageSize, 250, 1, 250),
    pollIntervalMs,
    pollMaxIntervalMs: int('pollMaxIntervalMs', opts.pollMaxIntervalMs, Math.max(10_000, pollIntervalMs), pollIntervalMs),
    pollTimeoutMs: int('pollTimeoutMs', opts.pollTimeoutMs, 120_000, 1),
    maxThrottleWaitMs: int('maxThrottleWaitMs', opts.maxThrottleWaitMs, 10_000, 0),
    maxThrottleRetries: int('maxThrottleRetries', opts.maxThrottleRetries, 3, 0, 100),
    productCacheSize: int('productCacheSize', opts.productCacheSize, 10_000, 1),
  };
}
