import type { ImageSource, ProviderContext } from './providers.js';

export interface StorefrontImage {
  /** The composite master's key. */
  key: string;
  aspect: string;
  variant: number;
  source: ImageSource;
  /**
   * Deterministic marker derived from job id + aspect + variant. Implementations store it with the media
   * item and look for it before uploading, so a re-run after a crash never creates a second image.
   */
  marker: string;
}

export interface StorefrontPushRequest {
  jobId: string;
  sku: string;
  theme: string;
  images: StorefrontImage[];
}

export interface StorefrontPushResult {
  /** One media id per image, in the order of `images` (e.g. gid://shopify/MediaImage/…, local:{sku}/{file}). */
  mediaIds: string[];
  costUsd: number;
}

/** Where finished images go (a Shopify product, a local directory …). `push` must be idempotent per marker. */
export interface Storefront {
  readonly name: string;
  push(req: StorefrontPushRequest, ctx: ProviderContext): Promise<StorefrontPushResult>;
}

/** The marker for one output of one job. */
export function storefrontMarker(jobId: string, aspect: string, variant: number): string {
  return `jobkit:${jobId}:${aspect}:${variant}`;
}
