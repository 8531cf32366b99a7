/** Options of the studio segmenter, validated once (bad values are INVALID_INPUT naming the option). */
import { requireInt, requireNumber } from '../errors.js';
import { DEFAULT_MAX_PIXELS } from '../image/decode.js';
import type { Tuning } from './segment-pixels.js';

export interface StudioSegmenterOptions {
  /** ΔE (CIELAB) from the backdrop above which a pixel is product. Default: adaptive to the photo's noise, 8..20. */
  threshold?: number;
  /**
   * How far (in L*, 0..100) a neutral pixel may be darker than the backdrop and still count as backdrop:
   * soft floor shadows. Default 20; lower it for light-grey products on white, 0 disables.
   */
  shadowTolerance?: number;
  /** Soft-edge half-width in pixels. Default: scales with the photo (2 px at 1200 px). */
  edgeRadius?: number;
  /** Refuse photos over this many pixels (INVALID_INPUT). Default 50 MP. */
  maxPixels?: number;
  /** zlib level of the PNG cutout, 0..9. Default 2: least CPU to encode + decode, ~18 % larger than 6 (bench/results/sharp.md). */
  pngCompressionLevel?: number;
}

export interface ResolvedOptions {
  /** Internal constants of the algorithm (benchmark experiments only; not a public option). */
  tuning?: Partial<Tuning>;
  threshold: number | undefined;
  shadowTolerance: number;
  edgeRadius: number | undefined;
  maxPixels: number;
  pngCompressionLevel: number;
}

export function resolveSegmenterOptions(opts: StudioSegmenterOptions): ResolvedOptions {
  return {
    threshold: opts.threshold === undefined ? undefined : requireNumber(opts.threshold, 'threshold', 1, 100),
    shadowTolerance: requireNumber(opts.shadowTolerance ?? 20, 'shadowTolerance', 0, 60),
    edgeRadius: opts.edgeRadius === undefined ? undefined : requireInt(opts.edgeRadius, 'edgeRadius', 1, 16),
    maxPixels: requireInt(opts.maxPixels ?? DEFAULT_MAX_PIXELS, 'maxPixels', 1024, 200_000_000),
    pngCompressionLevel: requireInt(opts.pngCompressionLevel ?? 2, 'pngCompressionLevel', 0, 9),
  };
}

