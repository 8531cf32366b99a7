/**
 * The studio segmentation algorithm on decoded pixels: cuts a product out of a light-box / paper backdrop.
 * Photos whose border is not a uniform backdrop are refused with a non-retryable SEGMENT_FAILED.
 *
 * 1. Working image: box-averaged to about 0.6 MP (less noise, fixed cost), in CIELAB.
 * 2. Backdrop colour everywhere: border profiles (Coons patch), corrected by a smooth surface fitted to
 *    the pixels that turn out to be backdrop.
 * 3. Evidence per pixel: colour unlike the backdrop after forgiving shadows, texture above the paper's.
 * 4. Geodesic distance from the frame (geodesic.ts): the backdrop is reached cheaply; a product only by
 *    crossing its outline or its colour. Product = distance above a threshold.
 * 5. Holes: enclosed regions that continue the backdrop exactly (colour, no texture) are background again.
 * 6. Full resolution: the mask is interpolated up and the outline re-matted at full resolution.
 */
import { invalidInput, type CutoutQuality } from 'jobkit';
import { segmentFailed } from '../errors.js';
import { scoreSignals } from '../quality/assess-cutout.js';
import { downsampleAlpha, measureSignals } from '../quality/cutout-signals.js';
import type { DecodedImage } from '../image/decode.js';
import { estimateBackdrop } from './backdrop-model.js';
import { refineSurface, surfaceFromModel } from './backdrop-surface.js';
import { boxMean } from './box-filter.js';
import { cleanupMask } from './components.js';
import { measureEvidence } from './evidence.js';
import { freeFromBorder, geodesicFromBorder, stepCosts } from './geodesic.js';
import { findHoles } from './holes.js';
import type { ResolvedOptions } from './options.js';
import { borderLevel, textureMap } from './texture.js';
import { peelBleed } from './bleed.js';
import { refineEdge } from './refine-edge.js';
import { makeWorkingImage, workingFactor } from './working-image.js';

export interface SegmentationStats {
  width: number;
  height: number;
  /** Working-resolution factor (1 = decided at full resolution). */
  factor: number;
  /** Backdrop noise at working resolution (median ΔE between neighbours). */
  noise: number;
  /** Share of the frame that is product. */
  coverage: number;
  /** Enclosed backdrop regions cut out as holes. */
  holes: number;
  ms: number;
  /** Milliseconds per stage. */
  stages: { working: number; backdrop: number; decide: number; cleanup: number; matte: number; quality: number };
}

export interface Cutout {
  /** RGBA, straight alpha. */
  rgba: Uint8Array;
  width: number;
  height: number;
  /** The quality gate's checks plus this segmenter's own evidence (ambiguous outline and area). */
  quality: CutoutQuality;
  stats: SegmentationStats;
}

/** Internal constants, in units of the backdrop's own noise where that makes sense. */
export interface Tuning {
  /** Colour deviation (ΔE) forgiven as noise/model error: max(abs, k × noise). */
  devFloorAbs: number;
  devFloorNoise: number;
  /** Colour steps between neighbours forgiven as noise. */
  stepFloorAbs: number;
  stepFloorNoise: number;
  /** Texture above k × the border's 95th-percentile texture costs `textureWeight` per unit. */
  textureFloor: number;
  textureWeight: number;
  /** Half-width of the full-resolution edge band, in working cells. */
  bandCells: number;
}

const DEFAULT_TUNING: Tuning = {
  devFloorAbs: 1,
  devFloorNoise: 3,
  stepFloorAbs: 1,
  stepFloorNoise: 3,
  textureFloor: 1.2,
  textureWeight: 2,
  bandCells: 4,
};

const MIN_SIDE = 32;
/** Squared RGB distance between product and backdrop colour below which colour cannot decide an outline. */
const MIN_SEPARATION2 = 150;
/**
 * Working-resolution noise (median ΔE between neighbours) below which a backdrop counts as noise-free:
 * camera photos measure 0.18–0.55 at ~0.5 MP, renders and flattened backdrops 0.
 */
const NOISE_FREE = 0.1;
/** Backdrop surface refits at most (see below). */
const MAX_REFITS = 3;

/**
 * Segments a decoded photo: pure, synchronous pixel work (no I/O), so it can run in a worker thread.
 * The RGBA result's alpha is the mask.
 */
export function segmentPixels(img: DecodedImage, opts: ResolvedOptions): Cutout {
  const started = performance.now();
  const { rgb, width, height } = img;
  if (width < MIN_SIDE || height < MIN_SIDE) throw invalidInput('original', `image is ${width}×${height}; at least ${MIN_SIDE}×${MIN_SIDE} is needed`);
  const t: Tuning = { ...DEFAULT_TUNING, ...opts.tuning };
  const n = width * height;

  const factor = workingFactor(width, height, opts.workingPixels);
  const wi = makeWorkingImage(rgb, width, height, factor);
  const { width: w, height: h } = wi;
  const m = w * h;
  const tWorking = performance.now();

  const model = estimateBackdrop(wi.rgb, w, h); // throws SEGMENT_FAILED for non-studio photos
  const surface = surfaceFromModel(model);
  const tex = textureMap(wi.L, w, h);
  // Texture costs only above what the paper itself shows almost everywhere (its 95th percentile), so
  // JPEG blocking in a shadow's gradient does not add up along a path; holes and the quality checks use
  // the stricter "like the typical paper" level. Both have a floor: JPEG can flatten a backdrop entirely.
  const texCost = Math.max(0.3, t.textureFloor * borderLevel(tex, w, h, 0.95));
  const texFloor = Math.max(0.15, 1.5 * borderLevel(tex, w, h));
  let ev = measureEvidence(wi, surface, opts.maxShadow);
  const noise = ev.noise;
  const devFloor = Math.max(t.devFloorAbs, t.devFloorNoise * noise);
  const stepFloor = Math.max(t.stepFloorAbs, t.stepFloorNoise * noise);
  const land = new Float32Array(m);
  let devNear = boxMean(ev.dev, w, h, 1); // a 3×3 mean: single noisy pixels do not add up along a path
  const steps = stepCosts(wi, stepFloor, 1);
  const landCosts = (): void => {
    for (let i = 0; i < m; i++) {
      const d = devNear[i]! - devFloor;
      const x = tex[i]! - texCost;
      land[i] = Math.max(0, d) + (x > 0 ? x * t.textureWeight : 0);
    }
  };
  landCosts();
  // Refit the backdrop surface on what is certainly backdrop (reached from the frame for free, not in
  // shadow), then measure again. A light box's hot spot is not in the border's profile: each refit brings
  // more of it within the noise, so more of it becomes certain. Repeat while the certain part grows.
  let sureCount = 0;
  for (let round = 0; round < MAX_REFITS; round++) {
    const sure = freeFromBorder(w, h, steps, land);
    let count = 0;
    for (let i = 0; i < m; i++) {
      if (ev.darker[i]! >= devFloor) sure[i] = 0;
      else count += sure[i]!;
    }
    if (round > 0 && count < sureCount * 1.01) break;
    sureCount = count;
    refineSurface(surface, wi, sure);
    ev = measureEvidence(wi, surface, opts.maxShadow, noise);
    devNear = boxMean(ev.dev, w, h, 1);
    landCosts();
  }
  const D = geodesicFromBorder({ width: w, height: h, steps, land, seed: land, cap: 4 * opts.threshold, threshold: opts.threshold });
  const tBackdrop = performance.now();

  const maskW = new Uint8Array(m);
  for (let i = 0; i < m; i++) maskW[i] = D[i]! > opts.threshold ? 1 : 0;
  const holeResult = findHoles(maskW, wi, surface, ev, tex, { texFloor, devFloor, edgeStep: 3 * stepFloor, devNear });
  const holes = holeResult.holes;
  const tDecide = performance.now();

  cleanupMask(maskW, w, h, { minPartOfLargest: 0.02, minPartOfImage: 0.0002, maxHoleOfImage: 0.0004 });
  const tCleanup = performance.now();

  const bandCells = Math.max(t.bandCells, Math.ceil((opts.edgeRadius ?? 0) / factor));
  // A backdrop without sensor noise (rendered, retouched): JPEG bleed beside hard outlines was taken.
  if (noise < NOISE_FREE) peelBleed(maskW, w, h, wi.rgb, bandCells, MIN_SEPARATION2);
  const edge = refineEdge({ rgb, width, height, mask: maskW, w, h, factor, workRgb: wi.rgb, minSeparation2: MIN_SEPARATION2, bandCells });
  const rgba = edge.rgba;
  const coverage = edge.foreground / n;
  if (coverage < 0.001) throw segmentFailed('no product found: the photo is all backdrop');
  if (coverage > 0.97) throw segmentFailed('no backdrop found around the product; use a hosted AI segmenter for this photo');
  if (img.alpha) {
    const a = img.alpha;
    for (let i = 0; i < n; i++) rgba[i * 4 + 3] = Math.round((rgba[i * 4 + 3]! * a[i]!) / 255);
  }
  const tMatte = performance.now();

  // Quality: the gate's checks on the final alpha, with this segmenter's own evidence added.
  let close = 0,
    product = 0;
  for (let i = 0; i < m; i++) {
    if (!maskW[i]) continue;
    product++;
    if (D[i]! < 2 * opts.threshold) close++;
  }
  const finalMask = downsampleAlpha(rgba, width, height, factor, w, h, 4, 3);
  const signals = measureSignals({ wi, backdrop: { ev, tex, texFloor, devFloor, grad: steps.grad } }, finalMask);
  const quality = scoreSignals(signals, {
    ambiguousOutline: edge.byMask / Math.max(1, edge.byMask + edge.byColour),
    ambiguousArea: close / Math.max(1, product),
    holeShare: holeResult.area / Math.max(1, product + holeResult.area),
  });
  const tQuality = performance.now();
  return {
    rgba,
    width,
    height,
    quality,
    stats: {
      width,
      height,
      factor,
      noise,
      coverage,
      holes,
      ms: tQuality - started,
      stages: {
        working: tWorking - started,
        backdrop: tBackdrop - tWorking,
        decide: tDecide - tBackdrop,
        cleanup: tCleanup - tDecide,
        matte: tMatte - tCleanup,
        quality: tQuality - tMatte,
      },
    },
  };
}
