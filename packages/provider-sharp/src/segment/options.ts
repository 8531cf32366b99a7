/** Options of the studio segmenter, validated once (bad values are INVALID_INPUT naming the option). */
import { requireInt, requireNumber } from '../errors.js';
import { DEFAULT_MAX_PIXELS } from '../image/decode.js';
import type { Tuning } from './segment-pixels.js';

/** Share of the backdrop's light a soft shadow may take away and still be forgiven as shadow. */
export const DEFAULT_MAX_SHADOW = 0.5;

export interface StudioSegmenterOptions {
  /**
   * How much evidence (in ΔE, CIELAB: outline contrast crossed plus colour unlike the backdrop, summed
   * along the cheapest path from the frame) makes a pixel product. Default 3. Lower finds fainter products
   * (and more dust); higher ignores faint outlines. (0.1 used this name for a per-pixel colour distance.)
   */
  threshold?: number;
  /**
   * Share (0..0.9) of the backdrop's light a soft shadow may take away and still count as backdrop.
   * Default 0.5. Darker neutral areas are product however smooth they are; 0 turns shadow forgiveness off.
   */
  maxShadow?: number;
  /**
   * Deprecated (0.1): an L* allowance for shadows. Now only `0` has an effect (same as `maxShadow: 0`);
   * other values are accepted and ignored — use `maxShadow`.
   */
  shadowTolerance?: number;
  /** Minimum half-width, in photo pixels, of the band along the outline that is re-decided at full resolution. Default: 3 working cells. */
  edgeRadius?: number;
  /** Pixels the decision is made at (the photo is box-averaged down by an integer factor to about this). Default 500 000 (a 2 MP photo is decided at 0.48 MP, a 12 MP one at 0.48 MP). */
  workingPixels?: number;
  /** Refuse photos over this many pixels (INVALID_INPUT). Default 50 MP. */
  maxPixels?: number;
  /** zlib level of the PNG cutout, 0..9. Default 2: least CPU to encode + decode, ~10 % larger than 6 (bench/results/sharp.md). */
  pngCompressionLevel?: number;
}

export interface ResolvedOptions {
  threshold: number;
  maxShadow: number;
  edgeRadius: number | undefined;
  workingPixels: number;
  maxPixels: number;
  pngCompressionLevel: number;
  /** Internal constants of the algorithm (benchmark experiments only; not a public option). */
  tuning?: Partial<Tuning>;
}

export function resolveSegmenterOptions(opts: StudioSegmenterOptions): ResolvedOptions {
  const tolerance = opts.shadowTolerance === undefined ? undefined : requireNumber(opts.shadowTolerance, 'shadowTolerance', 0, 60);
  return {
    threshold: requireNumber(opts.threshold ?? 3, 'threshold', 0.5, 50),
    maxShadow: requireNumber(opts.maxShadow ?? (tolerance === 0 ? 0 : DEFAULT_MAX_SHADOW), 'maxShadow', 0, 0.9),
    edgeRadius: opts.edgeRadius === undefined ? undefined : requireInt(opts.edgeRadius, 'edgeRadius', 1, 64),
    workingPixels: requireInt(opts.workingPixels ?? 500_000, 'workingPixels', 50_000, 8_000_000),
    maxPixels: requireInt(opts.maxPixels ?? DEFAULT_MAX_PIXELS, 'maxPixels', 1024, 200_000_000),
    pngCompressionLevel: requireInt(opts.pngCompressionLevel ?? 2, 'pngCompressionLevel', 0, 9),
  };
}
