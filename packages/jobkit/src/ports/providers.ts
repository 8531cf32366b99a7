/**
 * Provider ports: segmentation, background generation, compositing. They fit both a local library
 * (bytes in, bytes out, synchronous, free) and a hosted API (URLs in, asynchronous, a request id to resume
 * after a crash, a cost). The worker stores whatever bytes they return under the keys of DESIGN.md §4.
 */
import type { ThemedPhotoRef } from '../domain/keys.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { CutoutQuality } from './quality.js';

/** A stored image handed to a provider. */
export interface ImageSource {
  key: string;
  contentType: string;
  /** The bytes (read once, then cached for the step). */
  bytes(): Promise<Buffer>;
  /** A presigned GET URL reachable from the internet, or null when the object store has none (local files). */
  publicUrl(expiresInSec?: number): Promise<string | null>;
}

export interface ProviderContext {
  jobId: string;
  sku: string;
  theme: string;
  /** Aborted when the worker stops past its grace period or loses the lease. */
  signal: AbortSignal;
  logger: Logger;
  clock: Clock;
  /** The request id an earlier try of this step recorded: resume it instead of paying for a new one. */
  previousRef: string | null;
  /**
   * Persists a hosted request id on the job (job.providerRef) — call it right after creating the request, before waiting.
   * `spend.costUsd` adds money that no step result will report (a request that was billed but gave nothing usable)
   * in the same write as the ref, so a retry that finds the new ref never counts it again.
   */
  recordRef(ref: string, spend?: { costUsd: number }): Promise<void>;
}

/**
 * Returned by a hosted provider whose request is still running and that prefers not to block (webhook
 * mode): the worker releases the job and re-runs the step after `checkAfterMs`, or sooner when a
 * callback wakes the job. The step is then called again with `previousRef` set.
 */
export interface PendingResult {
  pending: true;
  checkAfterMs: number;
}

export function isPending(value: unknown): value is PendingResult {
  return typeof value === 'object' && value !== null && (value as { pending?: unknown }).pending === true;
}

export interface SegmentRequest {
  sku: string;
  sha256: string;
  original: ImageSource;
  /**
   * 'hosted' when an operator rejected the local cut in review and asked for the hosted segmenter
   * (`rejectJob(id, { retryWith: 'hosted' })`): a segmenter chain skips its local segmenter.
   */
  prefer?: 'hosted';
}
export interface SegmentResult {
  /** RGBA PNG: the product with a transparent background (its alpha is the mask). */
  cutout: Buffer;
  costUsd: number;
  /** The segmenter's own quality verdict; when absent the worker's quality gate scores the cutout. */
  quality?: CutoutQuality;
}
export interface Segmenter {
  readonly name: string;
  segment(req: SegmentRequest, ctx: ProviderContext): Promise<SegmentResult | PendingResult>;
}

export interface BackgroundRequest extends ThemedPhotoRef {
  /** Number of variants to render. */
  count: number;
  width: number;
  height: number;
  /** The cutout, for product-aware generators. */
  cutout: ImageSource;
}
export interface BackgroundResult {
  /** One JPEG (or PNG) per variant, `count` in all. */
  backgrounds: Buffer[];
  costUsd: number;
}
export interface BackgroundGenerator {
  readonly name: string;
  generate(req: BackgroundRequest, ctx: ProviderContext): Promise<BackgroundResult | PendingResult>;
}

export type OutputRole = 'master' | 'thumbnail' | 'derivative';
export interface CompositeOutput {
  key: string;
  bytes: Buffer;
  contentType: string;
  role: OutputRole;
  aspect: string;
  variant: number;
  width: number;
  height: number;
}
export interface CompositeRequest {
  photo: ThemedPhotoRef;
  /** RGBA PNG cutout. Implementations decode it once per job and reuse it for every output. */
  cutout: Buffer;
  /** One background per variant. */
  backgrounds: Buffer[];
}
export interface CompositeResult {
  outputs: CompositeOutput[];
}
export interface Compositor {
  readonly name: string;
  /** The background size the compositor wants from the generator (covers every aspect it renders). */
  backgroundSize(): { width: number; height: number };
  /** Number of background variants it composites per job. */
  readonly variants: number;
  /**
   * Optional: the outputs `composite` would produce for `photo` (without rendering), so a step re-run
   * after a crash can see that every output is already stored and skip the work.
   */
  plan?(photo: ThemedPhotoRef): Array<Pick<CompositeOutput, 'key' | 'role' | 'aspect' | 'variant'>>;
  composite(req: CompositeRequest, ctx: { signal: AbortSignal; logger: Logger }): Promise<CompositeResult>;
}
