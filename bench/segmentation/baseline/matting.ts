// Frozen copy of the 0.1 algorithm (see README.md); only imports were changed.
/**
 * Soft edges without a halo. Edge pixels of a photo are mixtures of product and backdrop; for each pixel
 * near the mask boundary we take the local product colour F and local backdrop colour B (means of nearby
 * pixels that are clearly inside / outside), estimate the mixing ratio α by projecting C − B onto F − B,
 * and un-mix the colour so a light backdrop does not leave a pale fringe on a dark theme.
 */
import type { BackdropModel } from './backdrop-model.js';
import { BACKDROP_CHANNELS, backdropRow } from './backdrop-model.js';

export interface MattingOptions {
  /** Half-width of the soft band around the boundary, in pixels. */
  bandRadius: number;
}

/**
 * Writes RGBA (straight alpha) into `out` from the photo `rgb` and the binary `mask`.
 */
export function matte(rgb: Uint8Array, mask: Uint8Array, width: number, height: number, model: BackdropModel, opts: MattingOptions, out: Uint8Array): void {
  const n = width * height;
  const r = Math.max(1, Math.round(opts.bandRadius));

  // band[i] = 1 within r (Chebyshev) of a pixel whose 4-neighbour has the other label; marked square by
  // square around each edge pixel, so the cost follows the outline length, not the image area.
  const band = new Uint8Array(n);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const m = mask[i];
      const isEdge =
        (x > 0 && mask[i - 1] !== m) || (x < width - 1 && mask[i + 1] !== m) || (y > 0 && mask[i - width] !== m) || (y < height - 1 && mask[i + width] !== m);
      if (isEdge) {
        const ya = Math.max(0, y - r),
          yb = Math.min(height - 1, y + r);
        const xa = Math.max(0, x - r),
          xb = Math.min(width - 1, x + r);
        for (let yy = ya; yy <= yb; yy++) band.fill(1, yy * width + xa, yy * width + xb + 1);
      } else if (m && !band[i]) {
        out[i * 4] = rgb[i * 3]!;
        out[i * 4 + 1] = rgb[i * 3 + 1]!;
        out[i * 4 + 2] = rgb[i * 3 + 2]!;
        out[i * 4 + 3] = 255;
      }
    }
  }

  const row = new Float64Array(width * BACKDROP_CHANNELS);
  const w = r + 2; // search window for the local references: just beyond the band
  for (let y = 0; y < height; y++) {
    let rowReady = false;
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!band[i]) continue;
      let fr = 0,
        fg = 0,
        fb = 0,
        fn = 0;
      let br = 0,
        bgc = 0,
        bb = 0,
        bn = 0;
      let fr2 = 0,
        fg2 = 0,
        fb2 = 0,
        fn2 = 0;
      const y0 = Math.max(0, y - w),
        y1 = Math.min(height - 1, y + w);
      const x0 = Math.max(0, x - w),
        x1 = Math.min(width - 1, x + w);
      for (let yy = y0; yy <= y1; yy++) {
        for (let xx = x0; xx <= x1; xx++) {
          const k = yy * width + xx;
          const p = k * 3;
          if (mask[k]) {
            if (!band[k]) {
              fr += rgb[p]!;
              fg += rgb[p + 1]!;
              fb += rgb[p + 2]!;
              fn++;
            } else {
              fr2 += rgb[p]!;
              fg2 += rgb[p + 1]!;
              fb2 += rgb[p + 2]!;
              fn2++;
            }
          } else if (!band[k]) {
            br += rgb[p]!;
            bgc += rgb[p + 1]!;
            bb += rgb[p + 2]!;
            bn++;
          }
        }
      }
      // Thin parts (all band, no interior) fall back to the band's own product pixels.
      if (fn === 0) {
        fr = fr2;
        fg = fg2;
        fb = fb2;
        fn = fn2;
      }
      if (bn === 0) {
        if (!rowReady) {
          backdropRow(model, y, row);
          rowReady = true;
        }
        const q = x * BACKDROP_CHANNELS;
        br = row[q + 3]!;
        bgc = row[q + 4]!;
        bb = row[q + 5]!;
        bn = 1;
      }
      const p = i * 3;
      const cr = rgb[p]!,
        cg = rgb[p + 1]!,
        cb = rgb[p + 2]!;
      let alpha: number;
      let or = cr,
        og = cg,
        ob = cb;
      if (fn === 0) {
        alpha = 0;
      } else {
        fr /= fn;
        fg /= fn;
        fb /= fn;
        br /= bn;
        bgc /= bn;
        bb /= bn;
        const dr = fr - br,
          dg = fg - bgc,
          db = fb - bb;
        const den = dr * dr + dg * dg + db * db;
        if (den < 150) {
          // Product and backdrop too close in RGB to measure a ratio: keep the binary decision.
          alpha = mask[i] ? 1 : 0;
        } else {
          alpha = ((cr - br) * dr + (cg - bgc) * dg + (cb - bb) * db) / den;
          alpha = alpha < 0 ? 0 : alpha > 1 ? 1 : alpha;
          if (alpha < 0.3) {
            or = fr;
            og = fg;
            ob = fb;
          } else if (alpha < 0.999) {
            or = br + (cr - br) / alpha;
            og = bgc + (cg - bgc) / alpha;
            ob = bb + (cb - bb) / alpha;
          }
        }
      }
      const j = i * 4;
      out[j] = clamp(or);
      out[j + 1] = clamp(og);
      out[j + 2] = clamp(ob);
      out[j + 3] = Math.round(alpha * 255);
    }
  }
}

const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
