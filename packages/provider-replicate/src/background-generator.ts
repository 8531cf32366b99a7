/** Theme backgrounds on Replicate: the theme's prompt in, `count` images out (one prediction). */
import {
  JobkitError,
  createThemeRegistry,
  invalidInput,
  type BackgroundGenerator,
  type BackgroundRequest,
  type BackgroundResult,
  type ImageSource,
  type PendingResult,
  type ProviderContext,
  type Theme,
  type ThemeRegistry,
} from 'jobkit';
import { closestAspectRatio } from './aspect-ratio.js';
import { imageInput } from './image-input.js';
import { isJpeg, isPng, isWebp } from './image-checks.js';
import { parseModelRef } from './model-ref.js';
import { runPrediction } from './prediction-runner.js';
import { validatePricing, type Pricing } from './pricing.js';
import { createReplicateRuntime, type ReplicateRuntime, type ReplicateRuntimeOptions } from './runtime.js';

/** Official model: runs by name, billed per output image. */
export const DEFAULT_BACKGROUND_MODEL = 'black-forest-labs/flux-schnell';
/** flux-schnell: $3.00 per thousand output images. */
export const DEFAULT_BACKGROUND_PRICING: Pricing = { kind: 'per-output', usdPerOutput: 0.003 };
/** Keeps the product out of the picture: the compositor places the real one. */
export const DEFAULT_PROMPT_SUFFIX = 'empty scene with no product and no objects in the foreground, no people, no text, no watermark';

export interface BackgroundInputContext {
  /** The request; for a top-up prediction `req.count` is the number of images still missing. */
  req: BackgroundRequest;
  theme: Theme;
  /** theme.prompt + promptSuffix. */
  prompt: string;
  /** The supported aspect ratio closest to req.width × req.height. */
  aspectRatio: string;
  /** Turns an image (e.g. req.cutout) into a URL Replicate can read, for product-aware models. */
  imageInput(source: ImageSource): Promise<string>;
}

export interface ReplicateBackgroundGeneratorOptions extends ReplicateRuntimeOptions {
  /** "owner/name" (official) or "owner/name:version" (default DEFAULT_BACKGROUND_MODEL). */
  model?: string;
  /** Theme registry the prompts come from (default: the core's built-in themes). */
  themes?: ThemeRegistry;
  /** Appended to the theme prompt (default DEFAULT_PROMPT_SUFFIX; '' for none). */
  promptSuffix?: string;
  /** Model input; the default fits flux-schnell. */
  buildInput?: (c: BackgroundInputContext) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Most images one prediction can return (flux-schnell: 4); more variants are INVALID_INPUT. */
  maxOutputsPerPrediction?: number;
  /**
   * Follow-up predictions when one returns fewer images than asked: flux-schnell's safety checker drops
   * flagged images (and bills only those it returns). The delivered images are kept and only the missing
   * ones are asked for; after this many top-ups the step fails (BACKGROUND_FAILED, not retryable). Default 2.
   */
  topUpPredictions?: number;
  pricing?: Pricing;
}

export function defaultBackgroundInput({ req, prompt, aspectRatio }: BackgroundInputContext): Record<string, unknown> {
  return {
    prompt,
    aspect_ratio: aspectRatio,
    num_outputs: req.count,
    // ~1 MP at the chosen ratio; the compositor scales the background to cover each output aspect.
    megapixels: '1',
    output_format: 'jpg',
    output_quality: 90,
  };
}

export function replicateBackgroundGeneratorOn(
  rt: ReplicateRuntime,
  opts: Omit<ReplicateBackgroundGeneratorOptions, keyof ReplicateRuntimeOptions> = {},
): BackgroundGenerator {
  const model = parseModelRef(opts.model ?? DEFAULT_BACKGROUND_MODEL, 'model');
  const pricing = validatePricing(opts.pricing ?? DEFAULT_BACKGROUND_PRICING, 'pricing');
  const themes = opts.themes ?? createThemeRegistry();
  const suffix = opts.promptSuffix ?? DEFAULT_PROMPT_SUFFIX;
  const build = opts.buildInput ?? defaultBackgroundInput;
  const maxOutputs = opts.maxOutputsPerPrediction ?? 4;
  if (!Number.isInteger(maxOutputs) || maxOutputs < 1) throw invalidInput('maxOutputsPerPrediction', 'must be an integer ≥ 1');
  const topUps = opts.topUpPredictions ?? 2;
  if (!Number.isInteger(topUps) || topUps < 0 || topUps > 10) throw invalidInput('topUpPredictions', 'must be an integer in [0, 10]');
  return {
    name: 'replicate',
    async generate(req: BackgroundRequest, ctx: ProviderContext): Promise<BackgroundResult | PendingResult> {
      if (!Number.isInteger(req.count) || req.count < 1 || req.count > maxOutputs) {
        throw invalidInput('count', `must be an integer in [1, ${maxOutputs}] for ${opts.model ?? DEFAULT_BACKGROUND_MODEL}`);
      }
      const theme = themes.get(req.theme);
      const aspectRatio = closestAspectRatio(req.width, req.height);
      const toUrl = (source: ImageSource) =>
        imageInput(source, {
          client: rt.client,
          dataUriMaxBytes: rt.dataUriMaxBytes,
          step: 'BACKGROUND_FAILED',
          signal: ctx.signal,
          now: () => ctx.clock.now(),
        });
      const result = await runPrediction(
        rt,
        {
          step: 'BACKGROUND_FAILED',
          model,
          pricing,
          expectedOutputs: req.count,
          topUps,
          // A top-up asks only for the missing images: `req.count` is what this prediction must return.
          buildInput: async (count) =>
            build({
              req: count === req.count ? req : { ...req, count },
              theme,
              prompt: suffix ? `${theme.prompt}, ${suffix}` : theme.prompt,
              aspectRatio,
              imageInput: toUrl,
            }),
        },
        ctx,
      );
      if ('pending' in result) return result;
      const backgrounds = result.outputs.slice(0, req.count);
      if (!backgrounds.every((b) => isJpeg(b) || isPng(b) || isWebp(b))) {
        throw new JobkitError('BACKGROUND_FAILED', `Replicate prediction ${result.predictionIds.join(', ')} returned an output that is not an image`, {
          retryable: false,
          details: { predictionId: result.predictionId, predictionIds: result.predictionIds },
        });
      }
      return { backgrounds, costUsd: result.costUsd };
    },
  };
}

export function createReplicateBackgroundGenerator(opts: ReplicateBackgroundGeneratorOptions): BackgroundGenerator {
  return replicateBackgroundGeneratorOn(createReplicateRuntime(opts), opts);
}
