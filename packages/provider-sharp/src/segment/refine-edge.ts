/**
 * Full-resolution outline. The decision was made on working cells; near the outline every photo pixel is
 * re-decided by its own colour: with F the local product colour and B the local backdrop colour (means of
 * nearby working cells that are clearly inside / outside), the pixel's colour C is a mix
 * C = αF + (1−α)B, so α = (C−B)·(F−B) / |F−B|². α is the soft alpha, and the colour is un-mixed
 * ((C − (1−α)B) / α) so a light backdrop leaves no pale fringe on a dark theme. Where F and B are too close
 * to measure a ratio (white on white), the interpolated working mask decides.
 *
 * Local means come from summed-area tables over the working cells, so the cost is one pass over the band.
 */
import { dilate } from './morphology.js';

export interface RefineInput {
  /** Full-resolution photo. */
  rgb: Uint8Array;
  width: number;
  height: number;
  /** Working mask (1 = product) and its size and factor. */
  mask: Uint8Array;
  w: number;
  h: number;
  factor: number;
  /** Working image RGB (box averages, 8-bit). */
  workRgb: Uint8Array;
  /** Squared RGB distance between F and B below which the colour cannot decide. */
  minSeparation2: number;
  /** Half-width of the band, in working cells. */
  bandCells: number;
}

export interface RefineResult {
  rgba: Uint8Array;
  /** Band pixels (full resolution) decided by colour / by the working mask. */
  byColour: number;
  byMask: number;
  /** Pixels with alpha ≥ 128. */
  foreground: number;
}

/** Summed-area tables of working RGB (`s`, 3 per cell) and of the cell count (`c`), (w+1)×(h+1). */
export type ColourTable = { s: Int32Array; c: Int32Array };

/** Summed-area table of the working RGB over the cells where `use` is set, plus the count table. */
export function sat(w: number, h: number, use: Uint8Array, rgb: Uint8Array): ColourTable {
  // Integers: exact, and half the memory of doubles (the tables are written and read once each).
  const W1 = w + 1;
  const s = new Int32Array(W1 * (h + 1) * 3);
  const c = new Int32Array(W1 * (h + 1));
  for (let y = 0; y < h; y++) {
    let r = 0,
      g = 0,
      b = 0,
      k = 0;
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (use[i]) {
        r += rgb[i * 3]!;
        g += rgb[i * 3 + 1]!;
        b += rgb[i * 3 + 2]!;
        k++;
      }
      const o = (y + 1) * W1 + x + 1,
        up = y * W1 + x + 1;
      c[o] = c[up]! + k;
      s[o * 3] = s[up * 3]! + r;
      s[o * 3 + 1] = s[up * 3 + 1]! + g;
      s[o * 3 + 2] = s[up * 3 + 2]! + b;
    }
  }
  return { s, c };
}

/** The outline's band: cells within R (Chebyshev) of a cell whose 4-neighbour has the other label. */
export function outlineBand(mask: Uint8Array, w: number, h: number, R: number): Uint8Array {
  const edge = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x,
        v = mask[i];
      if ((x > 0 && mask[i - 1] !== v) || (x < w - 1 && mask[i + 1] !== v) || (y > 0 && mask[i - w] !== v) || (y < h - 1 && mask[i + w] !== v)) edge[i] = 1;
    }
  }
  return dilate(edge, w, h, R);
}

/** Mean RGB of the table's cells in [x0..x1]×[y0..y1] into out[o..o+2]; -1s and false when it has none. */
export function windowMean(t: ColourTable, w: number, x0: number, y0: number, x1: number, y1: number, out: Float32Array, o: number): boolean {
  const W1 = w + 1;
  const a = y0 * W1 + x0,
    b = y0 * W1 + x1 + 1,
    c = (y1 + 1) * W1 + x0,
    d = (y1 + 1) * W1 + x1 + 1;
  // `| 0`: a table may wrap past 2³¹ on a huge working image; a window's sum never does, and modular arithmetic recovers it.
  const k = (t.c[d]! - t.c[b]! - t.c[c]! + t.c[a]!) | 0;
  if (k <= 0) {
    out[o] = -1;
    out[o + 1] = -1;
    out[o + 2] = -1;
    return false;
  }
  for (let ch = 0; ch < 3; ch++) out[o + ch] = ((t.s[d * 3 + ch]! - t.s[b * 3 + ch]! - t.s[c * 3 + ch]! + t.s[a * 3 + ch]!) | 0) / k;
  return true;
}

export function refineEdge(inp: RefineInput): RefineResult {
  const { rgb, width: W, height: H, mask, w, h, factor: f, workRgb, bandCells: R } = inp;
  const m = w * h;
  const band = outlineBand(mask, w, h, R);
  const inner = new Uint8Array(m),
    outer = new Uint8Array(m);
  for (let i = 0; i < m; i++)
    if (!band[i]) {
      if (mask[i]) inner[i] = 1;
      else outer[i] = 1;
    }
  const F = sat(w, h, inner, workRgb),
    B = sat(w, h, outer, workRgb);
  const win = 2 * R + 2; // reaches past the band on both sides of the outline
  const boxSum = (t: ColourTable, x0: number, y0: number, x1: number, y1: number, out: Float32Array, o: number): boolean =>
    windowMean(t, w, x0, y0, x1, y1, out, o);
  // Local F and B (RGB, or -1 when unknown) of the band cells of one row of cells, computed when the
  // photo's rows reach it (full-image arrays would be 6 floats per working cell, mostly unused).
  const cellF = new Float32Array(w * 3),
    cellB = new Float32Array(w * 3);
  let Fb: ColourTable | null = null;
  const fillRow = (y: number): void => {
    const y0 = Math.max(0, y - win),
      y1 = Math.min(h - 1, y + win);
    for (let x = 0; x < w; x++) {
      if (!band[y * w + x]) continue;
      const x0 = Math.max(0, x - win),
        x1 = Math.min(w - 1, x + win);
      if (!boxSum(F, x0, y0, x1, y1, cellF, x * 3)) {
        // Thin parts have no interior: fall back to the band's own product cells.
        if (!Fb) {
          const bandFg = new Uint8Array(m);
          for (let i = 0; i < m; i++) if (band[i] && mask[i]) bandFg[i] = 1;
          Fb = sat(w, h, bandFg, workRgb);
        }
        boxSum(Fb, x0, y0, x1, y1, cellF, x * 3);
      }
      boxSum(B, x0, y0, x1, y1, cellB, x * 3);
    }
  };

  const rgba = new Uint8Array(W * H * 4);
  // Colour first (one tight pass), then alpha cell run by cell run.
  for (let p = 0, o = 0; p < W * H * 3; p += 3, o += 4) {
    rgba[o] = rgb[p]!;
    rgba[o + 1] = rgb[p + 1]!;
    rgba[o + 2] = rgb[p + 2]!;
  }
  let byColour = 0,
    byMask = 0,
    foreground = 0;
  let filledRow = -1;
  for (let Y = 0; Y < H; Y++) {
    const cy = Math.min(h - 1, (Y / f) | 0);
    if (cy !== filledRow) {
      fillRow(cy);
      filledRow = cy;
    }
    for (let cx = 0; cx < w; cx++) {
      const ci = cy * w + cx;
      const X0 = cx * f,
        X1 = Math.min(W, X0 + f);
      if (!band[ci]) {
        if (mask[ci]) {
          foreground += X1 - X0;
          for (let X = X0; X < X1; X++) rgba[(Y * W + X) * 4 + 3] = 255;
        }
        continue;
      }
      const q = cx * 3;
      const fr = cellF[q]!,
        fg = cellF[q + 1]!,
        fb = cellF[q + 2]!,
        br = cellB[q]!,
        bg = cellB[q + 1]!,
        bb = cellB[q + 2]!;
      const dr = fr - br,
        dg = fg - bg,
        db = fb - bb;
      const den = dr * dr + dg * dg + db * db;
      const measurable = fr >= 0 && br >= 0 && den >= inp.minSeparation2;
      for (let X = X0; X < X1; X++) {
        const o = (Y * W + X) * 4;
        if (!measurable) {
          const on = bilinear(mask, w, h, f, X, Y) >= 0.5;
          rgba[o + 3] = on ? 255 : 0;
          if (on) foreground++;
          byMask++;
          continue;
        }
        const cr = rgba[o]!,
          cg = rgba[o + 1]!,
          cb = rgba[o + 2]!;
        let alpha = ((cr - br) * dr + (cg - bg) * dg + (cb - bb) * db) / den;
        // biome-ignore lint/complexity/useMathMinMax: the ternary clamp measured ~15 % faster for the whole function here
        alpha = alpha < 0 ? 0 : alpha > 1 ? 1 : alpha;
        byColour++;
        if (alpha < 0.3) {
          rgba[o] = clamp(fr);
          rgba[o + 1] = clamp(fg);
          rgba[o + 2] = clamp(fb);
        } else if (alpha < 0.999) {
          rgba[o] = clamp(br + (cr - br) / alpha);
          rgba[o + 1] = clamp(bg + (cg - bg) / alpha);
          rgba[o + 2] = clamp(bb + (cb - bb) / alpha);
        }
        const a = Math.round(alpha * 255);
        rgba[o + 3] = a;
        if (a >= 128) foreground++;
      }
    }
  }
  return { rgba, byColour, byMask, foreground };
}

/** The working mask interpolated at full-resolution pixel (X, Y) (cell centres at (i + ½)·f). */
function bilinear(mask: Uint8Array, w: number, h: number, f: number, X: number, Y: number): number {
  const gx = (X + 0.5) / f - 0.5,
    gy = (Y + 0.5) / f - 0.5;
  const x0 = Math.max(0, Math.min(w - 1, Math.floor(gx))),
    y0 = Math.max(0, Math.min(h - 1, Math.floor(gy)));
  const x1 = Math.min(w - 1, x0 + 1),
    y1 = Math.min(h - 1, y0 + 1);
  const fx = Math.max(0, Math.min(1, gx - x0)),
    fy = Math.max(0, Math.min(1, gy - y0));
  return (mask[y0 * w + x0]! * (1 - fx) + mask[y0 * w + x1]! * fx) * (1 - fy) + (mask[y1 * w + x0]! * (1 - fx) + mask[y1 * w + x1]! * fx) * fy;
}

const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
