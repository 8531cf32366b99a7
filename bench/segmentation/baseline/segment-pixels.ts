// Frozen copy of the 0.1 algorithm (see README.md); only imports were changed.
/**
 * The studio segmentation algorithm on decoded pixels: cuts a product out of a uniform light-box / paper
 * backdrop. Photos whose border is not a uniform backdrop are refused with a non-retryable SEGMENT_FAILED.
 */
import { invalidInput } from 'jobkit';
import { rgbToLab } from './lab.js';
import { segmentFailed } from './errors.js';
import type { DecodedImage } from '@jobkit/provider-sharp';
import { BACKDROP_CHANNELS, backdropRow, estimateBackdrop } from './backdrop-model.js';
import { cleanupMask } from './components.js';
import { matte } from './matting.js';
import type { ResolvedOptions } from './options.js';

export interface SegmentationStats {
  width: number;
  height: number;
  threshold: number;
  noise: number;
  /** Share of the frame that is product. */
  coverage: number;
  ms: number;
  /** Milliseconds per stage: backdrop model, colour decision, cleanup, soft edges. */
  stages: { backdrop: number; classify: number; cleanup: number; matte: number };
}

export interface Cutout {
  /** RGBA, straight alpha. */
  rgba: Uint8Array;
  width: number;
  height: number;
  stats: SegmentationStats;
}

const MIN_SIDE = 32;

/**
 * Segments a decoded photo: pure, synchronous pixel work (no I/O), so it can run in a worker thread.
 * The RGBA result's alpha is the mask.
 */
export function segmentPixels(img: DecodedImage, opts: ResolvedOptions): Cutout {
  const started = performance.now();
  const { rgb, width, height } = img;
  if (width < MIN_SIDE || height < MIN_SIDE) throw invalidInput('original', `image is ${width}×${height}; at least ${MIN_SIDE}×${MIN_SIDE} is needed`);
  const n = width * height;
  const model = estimateBackdrop(rgb, width, height);
  const tBackdrop = performance.now();
  const threshold = opts.threshold ?? Math.min(20, Math.max(8, 2 + 2 * model.noise));
  const t2 = threshold * threshold;
  const tol = opts.shadowTolerance;

  // 1. Colour decision per pixel against the local backdrop colour.
  const mask = new Uint8Array(n);
  const row = new Float64Array(width * BACKDROP_CHANNELS);
  const lab = new Float64Array(3);
  for (let y = 0; y < height; y++) {
    backdropRow(model, y, row, 0, 3); // Lab only
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      rgbToLab(rgb[i * 3]!, rgb[i * 3 + 1]!, rgb[i * 3 + 2]!, lab);
      const q = x * BACKDROP_CHANNELS;
      const darker = row[q]! - lab[0]!;
      const da = lab[1]! - row[q + 1]!;
      const db = lab[2]! - row[q + 2]!;
      const dab2 = da * da + db * db;
      let dl = darker < 0 ? -darker : darker;
      if (darker > 0 && tol > 0 && dab2 < 144) {
        // A shadow darkens the backdrop without changing its hue: forgive lightness drops of (nearly)
        // neutral pixels, fading the allowance out as the chroma shift grows from 6 to 12 ΔE.
        const dab = Math.sqrt(dab2);
        const g = dab <= 6 ? 1 : (12 - dab) / 6;
        dl = Math.max(0, darker - tol * g);
      }
      if (dl * dl + dab2 > t2) mask[i] = 1;
    }
  }

  const tClassify = performance.now();
  // 2. Remove specks and pinholes; keep large enclosed backdrop (handle holes) as background.
  const { foreground } = cleanupMask(mask, width, height, { minPartOfLargest: 0.02, minPartOfImage: 0.0002, maxHoleOfImage: 0.0004 });
  const coverage = foreground / n;
  if (coverage < 0.001) throw segmentFailed('no product found: the photo is all backdrop');
  if (coverage > 0.97) throw segmentFailed('no backdrop found around the product; use an AI segmenter for this photo');

  const tCleanup = performance.now();
  // 3. Soft, decontaminated edges.
  const rgba = new Uint8Array(n * 4);
  const edgeRadius = opts.edgeRadius ?? Math.max(1, Math.round(Math.min(width, height) / 600));
  matte(rgb, mask, width, height, model, { bandRadius: edgeRadius }, rgba);

  const tMatte = performance.now();
  // An input that was already transparent keeps its transparency.
  if (img.alpha) {
    const a = img.alpha;
    for (let i = 0; i < n; i++) rgba[i * 4 + 3] = Math.round((rgba[i * 4 + 3]! * a[i]!) / 255);
  }
  return {
    rgba,
    width,
    height,
    stats: {
      width,
      height,
      threshold,
      noise: model.noise,
      coverage,
      ms: performance.now() - started,
      stages: { backdrop: tBackdrop - started, classify: tClassify - tBackdrop, cleanup: tCleanup - tClassify, matte: tMatte - tCleanup },
    },
  };
}
