/** Background removal on Replicate: the original in, an RGBA PNG cutout out. */
import { JobkitError, invalidInput, type ProviderContext, type SegmentRequest, type SegmentResult, type Segmenter, type PendingResult } from 'jobkit';
import { imageInput } from './image-input.js';
import { pngHasAlpha } from './image-checks.js';
import { parseModelRef } from './model-ref.js';
import { runPrediction } from './prediction-runner.js';
import { HARDWARE_USD_PER_SECOND, validatePricing, type Pricing } from './pricing.js';
import { createReplicateRuntime, type ReplicateRuntime, type ReplicateRuntimeOptions } from './runtime.js';

/** 851-labs/background-remover (community model, so pinned to a version). */
export const DEFAULT_SEGMENT_MODEL = '851-labs/background-remover:a029dff38972b5fda4ec5d75d7d1cd25aeff621d2cf4946a41055d7db66b80bc';
/** It runs on an Nvidia L40S: billed per second of predict time. */
export const DEFAULT_SEGMENT_PRICING: Pricing = { kind: 'per-second', usdPerSecond: HARDWARE_USD_PER_SECOND['nvidia-l40s'] };

export interface SegmentInputContext {
  /** The original as a URL Replicate can read (presigned URL, data URI or Files API upload). */
  image: string;
  req: SegmentRequest;
}

export interface ReplicateSegmenterOptions extends ReplicateRuntimeOptions {
  /** "owner/name" (official) or "owner/name:version" (default DEFAULT_SEGMENT_MODEL). */
  model?: string;
  /** Model input; the default fits 851-labs/background-remover (RGBA PNG, soft alpha). */
  buildInput?: (c: SegmentInputContext) => Record<string, unknown>;
  pricing?: Pricing;
}

export function defaultSegmentInput({ image }: SegmentInputContext): Record<string, unknown> {
  return { image, format: 'png', background_type: 'rgba', threshold: 0, reverse: false };
}

/** Builds the segmenter on an existing runtime (shared limiter); see createReplicateSegmenter. */
export function replicateSegmenterOn(rt: ReplicateRuntime, opts: Omit<ReplicateSegmenterOptions, keyof ReplicateRuntimeOptions> = {}): Segmenter {
  const model = parseModelRef(opts.model ?? DEFAULT_SEGMENT_MODEL, 'model');
  const pricing = validatePricing(opts.pricing ?? DEFAULT_SEGMENT_PRICING, 'pricing');
  const build = opts.buildInput ?? defaultSegmentInput;
  if (typeof build !== 'function') throw invalidInput('buildInput', 'must be a function');
  return {
    name: 'replicate',
    async segment(req: SegmentRequest, ctx: ProviderContext): Promise<SegmentResult | PendingResult> {
      const result = await runPrediction(
        rt,
        {
          step: 'SEGMENT_FAILED',
          model,
          pricing,
          buildInput: async () => {
            const image = await imageInput(req.original, {
              client: rt.client,
              dataUriMaxBytes: rt.dataUriMaxBytes,
              step: 'SEGMENT_FAILED',
              signal: ctx.signal,
              now: () => ctx.clock.now(),
            });
            return build({ image, req });
          },
        },
        ctx,
      );
      if ('pending' in result) return result;
      const cutout = result.outputs[0]!;
      if (!pngHasAlpha(cutout)) {
        throw new JobkitError('SEGMENT_FAILED', `Replicate prediction ${result.predictionId} did not return a PNG with an alpha channel`, {
          retryable: false,
          details: { predictionId: result.predictionId },
        });
      }
      return { cutout, costUsd: result.costUsd };
    },
  };
}

export function createReplicateSegmenter(opts: ReplicateSegmenterOptions): Segmenter {
  return replicateSegmenterOn(createReplicateRuntime(opts), opts);
}
