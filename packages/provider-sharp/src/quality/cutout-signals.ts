/**
 * Measurements a quality gate can take on ANY cutout (from this package's studio segmenter or a hosted
 * one), given the original photo and the cutout's alpha. Everything is measured at a working resolution
 * of about 0.4 MP, so a 12 MP photo costs one averaging pass plus a few passes over 0.4 MP.
 *
 * The physics behind them: in a studio shot everything outside the product is backdrop (smooth, the
 * border's colour) or a soft shadow; the product's outline is an image edge; a product is usually one or
 * two solid parts well inside the frame.
 */
import { estimateBackdrop, type BackdropModel } from '../segment/backdrop-model.js';
import { refineSurface, surfaceFromModel } from '../segment/backdrop-surface.js';
import { componentStats } from '../segment/components.js';
import { measureEvidence, type Evidence } from '../segment/evidence.js';
import { DEFAULT_MAX_SHADOW } from '../segment/options.js';
import { borderLevel, textureMap } from '../segment/texture.js';
import { makeWorkingImage, workingFactor, type WorkingImage } from '../segment/working-image.js';
import { dilate } from '../segment/morphology.js';

export interface CutoutSignals {
  /** Working resolution the signals were measured at. */
  width: number;
  height: number;
  /** The border is a uniform backdrop (a studio shot): the backdrop-based signals below are meaningful. */
  studio: boolean;
  /** Product share of the frame (alpha ≥ 128). */
  coverage: number;
  /** Parts of at least 0.1 % of the frame. */
  parts: number;
  /** Share of the product area outside its two largest parts (a pair of shoes is two parts). */
  strayShare: number;
  /** Share of the frame's perimeter that the product touches. */
  touchesFrame: number;
  /** 2·area / perimeter ÷ √area: about 0.5 for a disc, small for a thin line or a ring. */
  thickness: number;
  /** Studio only: strong image edges outside the product (beyond the margin: 1 % of the frame, at least the JPEG blocks the outline crosses), per outline pixel. */
  edgesOutside: number;
  /** Studio only: pixels outside the product (beyond the margin) clearly unlike the backdrop, per product pixel. */
  colourOutside: number;
  /** Studio only: share of the outline with no image edge under it (the cut runs through flat colour). */
  unsupported: number;
  /** Studio only: share of the product that looks like shadow (backdrop hue, darker, smooth) next to an unsupported outline. */
  shadowInside: number;
  /** Studio only: area of the bounding box of everything unlike the backdrop ÷ area of the product's box (≥ 1 when the cut misses parts). */
  salientRatio: number;
}

const WORKING_PIXELS = 400_000;

/** What the backdrop-based signals need; a segmenter that has it already can pass it in. */
export interface BackdropContext {
  wi: WorkingImage;
  /** Null when the border is not a uniform backdrop (not a studio shot). */
  backdrop: {
    ev: Evidence;
    tex: Float32Array;
    texFloor: number;
    devFloor: number;
    /** ΔE to the right or lower neighbour, the larger (computed here when not given). */
    grad?: Float32Array;
  } | null;
}

/** Working image and backdrop evidence of a photo (the gate's own, when the segmenter gave none). */
function backdropContext(rgb: Uint8Array, width: number, height: number, productHint?: (wi: WorkingImage) => Uint8Array): BackdropContext {
  const wi = makeWorkingImage(rgb, width, height, workingFactor(width, height, WORKING_PIXELS));
  const { width: w, height: h } = wi;
  let model: BackdropModel;
  try {
    model = estimateBackdrop(wi.rgb, w, h);
  } catch {
    return { wi, backdrop: null };
  }
  const surface = surfaceFromModel(model);
  if (productHint) {
    // Refit the backdrop surface away from the product.
    const near = productHint(wi);
    const far = new Uint8Array(w * h);
    for (let i = 0; i < far.length; i++) far[i] = near[i] ? 0 : 1;
    refineSurface(surface, wi, far);
  }
  const ev = measureEvidence(wi, surface, DEFAULT_MAX_SHADOW);
  const tex = textureMap(wi.L, w, h);
  return { wi, backdrop: { ev, tex, texFloor: Math.max(0.15, 1.5 * borderLevel(tex, w, h)), devFloor: Math.max(1, 3 * ev.noise) } };
}

export function measureCutout(rgb: Uint8Array, alpha: Uint8Array, width: number, height: number): CutoutSignals {
  let mask: Uint8Array | null = null;
  const ctx = backdropContext(rgb, width, height, (wi) => {
    mask = downsampleAlpha(alpha, width, height, wi.factor, wi.width, wi.height);
    return dilate(mask, wi.width, wi.height, margin(wi));
  });
  mask ??= downsampleAlpha(alpha, width, height, ctx.wi.factor, ctx.wi.width, ctx.wi.height);
  return measureSignals(ctx, mask);
}

/**
 * Margin around the product: soft edges, the tight contact shadow and reflections hug the outline, and
 * JPEG ringing spreads over the 8-px (16-px for subsampled chroma) blocks the outline crosses — at the
 * working resolution that is 16 / factor pixels, which on a small photo is wider than 1 % of the frame.
 */
const margin = (wi: WorkingImage): number => Math.max(3, Math.round(0.01 * Math.max(wi.width, wi.height)), Math.ceil(16 / wi.factor));

/** Signals of `mask` (1 = product, at the context's working resolution). */
export function measureSignals(ctx: BackdropContext, mask: Uint8Array): CutoutSignals {
  const { wi } = ctx;
  const { width: w, height: h } = wi;
  const m = w * h;
  let area = 0;
  for (let i = 0; i < m; i++) area += mask[i]!;
  const signals: CutoutSignals = {
    width: w,
    height: h,
    studio: false,
    coverage: area / m,
    parts: 0,
    strayShare: 0,
    touchesFrame: 0,
    thickness: 0,
    edgesOutside: 0,
    colourOutside: 0,
    unsupported: 0,
    shadowInside: 0,
    salientRatio: 1,
  };
  if (area === 0) return signals;

  // Parts and stray fragments.
  const comp = componentStats(mask, w, h, 1);
  const sizes = Array.from(comp.areas).sort((a, b) => b - a);
  signals.parts = sizes.filter((s) => s >= m * 0.001).length;
  signals.strayShare = (area - (sizes[0] ?? 0) - (sizes[1] ?? 0)) / area;

  // Frame contact and outline.
  let onFrame = 0;
  for (let x = 0; x < w; x++) onFrame += mask[x]! + mask[(h - 1) * w + x]!;
  for (let y = 1; y < h - 1; y++) onFrame += mask[y * w]! + mask[y * w + w - 1]!;
  signals.touchesFrame = onFrame / (2 * (w + h) - 4);
  const outline = new Uint8Array(m);
  let perimeter = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!mask[i]) continue;
      if ((x > 0 && !mask[i - 1]) || (x < w - 1 && !mask[i + 1]) || (y > 0 && !mask[i - w]) || (y < h - 1 && !mask[i + w])) {
        outline[i] = 1;
        perimeter++;
      }
    }
  }
  signals.thickness = perimeter ? (2 * area) / perimeter / Math.sqrt(area) : 0;

  // Backdrop-based signals need a studio backdrop.
  if (!ctx.backdrop) return signals;
  signals.studio = true;
  const { ev, tex, texFloor, devFloor } = ctx.backdrop;
  const near = dilate(mask, w, h, margin(wi));
  const grad = ctx.backdrop.grad ?? gradient(wi);
  const strong = Math.max(4, 10 * ev.noise);
  const weak = Math.max(1.2, 3 * ev.noise);

  let edgesOut = 0,
    colourOut = 0;
  let sx0 = w,
    sy0 = h,
    sx1 = -1,
    sy1 = -1;
  let mx0 = w,
    my0 = h,
    mx1 = -1,
    my1 = -1;
  for (let c = 0; c < comp.count; c++) {
    mx0 = Math.min(mx0, comp.x0[c]!);
    my0 = Math.min(my0, comp.y0[c]!);
    mx1 = Math.max(mx1, comp.x1[c]!);
    my1 = Math.max(my1, comp.y1[c]!);
  }
  const salient = new Uint8Array(m);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const unlike = ev.dev[i]! > 3 * devFloor || grad[i]! > strong;
      if (unlike) salient[i] = 1;
      if (!near[i]) {
        if (grad[i]! > strong) edgesOut++;
        if (ev.dev[i]! > 3 * devFloor) colourOut++;
      }
    }
  }
  // Salient box: of salient parts larger than specks (noise, dust).
  const sal = componentStats(salient, w, h, 1);
  const minSal = Math.max(4, m * 0.0002);
  for (let c = 0; c < sal.count; c++) {
    if (sal.areas[c]! < minSal) continue;
    sx0 = Math.min(sx0, sal.x0[c]!);
    sy0 = Math.min(sy0, sal.y0[c]!);
    sx1 = Math.max(sx1, sal.x1[c]!);
    sy1 = Math.max(sy1, sal.y1[c]!);
  }
  signals.edgesOutside = edgesOut / Math.max(1, perimeter);
  signals.colourOutside = colourOut / area;
  if (sx1 >= 0) {
    const ux0 = Math.min(sx0, mx0),
      uy0 = Math.min(sy0, my0),
      ux1 = Math.max(sx1, mx1),
      uy1 = Math.max(sy1, my1);
    signals.salientRatio = ((ux1 - ux0 + 1) * (uy1 - uy0 + 1)) / ((mx1 - mx0 + 1) * (my1 - my0 + 1));
  }

  // Outline support: an image edge within one pixel of the outline — and not a shadow's ramp: where the
  // pixels just inside and 2 px outside both look like backdrop in shadow (backdrop hue, darker, smooth),
  // the outline cuts through a shadow however steep its fall-off is.
  const shadowy = (i: number): boolean => ev.dev[i]! <= devFloor && ev.darker[i]! > devFloor && tex[i]! <= texFloor;
  let unsupported = 0;
  const unsupportedMap = new Uint8Array(m);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!outline[i]) continue;
      let g = 0;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx,
            yy = y + dy;
          if (xx >= 0 && yy >= 0 && xx < w && yy < h && grad[yy * w + xx]! > g) g = grad[yy * w + xx]!;
        }
      let throughShadow = false;
      if (shadowy(i)) {
        for (const [dx, dy] of [
          [-1, 0],
          [1, 0],
          [0, -1],
          [0, 1],
        ] as const) {
          const xx = x + 2 * dx,
            yy = y + 2 * dy;
          if (xx >= 0 && yy >= 0 && xx < w && yy < h && !mask[y * w + x + dx + dy * w] && shadowy(yy * w + xx)) throughShadow = true;
        }
      }
      if (g < weak || throughShadow) {
        unsupported++;
        unsupportedMap[i] = 1;
      }
    }
  }
  signals.unsupported = unsupported / Math.max(1, perimeter);

  // Shadow inside: product pixels that are shadow-like, reachable from an unsupported outline within 8 px.
  let shadowLike = 0;
  if (unsupported) {
    const reach = dilate(unsupportedMap, w, h, 8);
    for (let i = 0; i < m; i++) {
      if (mask[i] && reach[i] && shadowy(i)) shadowLike++;
    }
  }
  signals.shadowInside = shadowLike / area;
  return signals;
}

/** Alpha (every `stride`-th byte from `offset`) box-averaged per working cell, cut at 128. */
export function downsampleAlpha(alpha: Uint8Array, W: number, H: number, f: number, w: number, h: number, stride = 1, offset = 0): Uint8Array {
  // Integer sums per row of cells (exact); the cell of each column is looked up, not divided per pixel.
  const cellOf = new Int32Array(W);
  for (let X = 0; X < W; X++) cellOf[X] = (X / f) | 0;
  const sum = new Uint32Array(w);
  const out = new Uint8Array(w * h);
  for (let cy = 0; cy < h; cy++) {
    sum.fill(0);
    const Y0 = cy * f,
      Y1 = Math.min(H, Y0 + f);
    for (let Y = Y0; Y < Y1; Y++) {
      let p = Y * W * stride + offset;
      for (let X = 0; X < W; X++, p += stride) {
        const c = cellOf[X]!;
        sum[c] = sum[c]! + alpha[p]!;
      }
    }
    const rows = Y1 - Y0,
      o = cy * w;
    for (let cx = 0; cx < w; cx++) out[o + cx] = sum[cx]! >= 128 * rows * (Math.min(W, (cx + 1) * f) - cx * f) ? 1 : 0;
  }
  return out;
}

/** ΔE to the right and lower neighbour, the larger of the two. */
function gradient(wi: WorkingImage): Float32Array {
  const { width: w, height: h, L, A, B } = wi;
  const g = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      let best = 0;
      if (x < w - 1) {
        const dl = L[i]! - L[i + 1]!,
          da = A[i]! - A[i + 1]!,
          db = B[i]! - B[i + 1]!;
        best = Math.sqrt(dl * dl + da * da + db * db);
      }
      if (y < h - 1) {
        const dl = L[i]! - L[i + w]!,
          da = A[i]! - A[i + w]!,
          db = B[i]! - B[i + w]!;
        const d = Math.sqrt(dl * dl + da * da + db * db);
        if (d > best) best = d;
      }
      g[i] = best;
    }
  }
  return g;
}
