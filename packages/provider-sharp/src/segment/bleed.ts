/**
 * JPEG bleed beside a hard outline on a noise-free backdrop. A rendered or retouched photo's backdrop is
 * flat (no sensor noise), so the decision's noise floor is at its minimum, and the colour that 4:2:0 chroma
 * subsampling and DCT ringing smear into the backdrop next to a sharp, saturated outline is taken for
 * product: ragged backdrop cells along the outline, pale specks on a dark theme. Such a cell's own colour
 * is the local backdrop's while the product beside it is clearly another colour, so it leaves the mask
 * before the outline is refined. Photos with sensor noise never get here (their floor already forgives
 * the bleed; peeling there would cost white products their lightest outline cells).
 */
import { type ColourTable, outlineBand, sat, windowMean } from './refine-edge.js';

/** `windowMean` over the square of radius r around (x, y), clamped at the frame. */
function around(t: ColourTable, w: number, h: number, x: number, y: number, r: number, out: Float32Array): boolean {
  return windowMean(t, w, Math.max(0, x - r), Math.max(0, y - r), Math.min(w - 1, x + r), Math.min(h - 1, y + r), out, 0);
}

const dist2 = (p: Float32Array, q: Float32Array): number => (p[0]! - q[0]!) ** 2 + (p[1]! - q[1]!) ** 2 + (p[2]! - q[2]!) ** 2;

/**
 * Removes from `mask` (1 = product, working cells) the outline cells whose colour is the local backdrop's
 * while the local product is clearly different (squared RGB distance ≥ `minSeparation2`).
 */
export function peelBleed(mask: Uint8Array, w: number, h: number, workRgb: Uint8Array, bandCells: number, minSeparation2: number): void {
  const m = w * h;
  const band = outlineBand(mask, w, h, bandCells);
  const inner = new Uint8Array(m),
    outer = new Uint8Array(m),
    bandFg = new Uint8Array(m);
  for (let i = 0; i < m; i++) {
    if (band[i]) {
      if (mask[i]) bandFg[i] = 1;
    } else if (mask[i]) inner[i] = 1;
    else outer[i] = 1;
  }
  const F = sat(w, h, inner, workRgb),
    B = sat(w, h, outer, workRgb),
    Fb = sat(w, h, bandFg, workRgb);
  const win = 2 * bandCells + 2,
    wide = 6 * bandCells + 6;
  const f = new Float32Array(3),
    b = new Float32Array(3),
    c = new Float32Array(3);
  const peel: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!band[i] || !mask[i]) continue;
      // Ragged cells can fill a window: then look further out for the clear backdrop and interior.
      if (!around(B, w, h, x, y, win, b) && !around(B, w, h, x, y, wide, b)) continue;
      c[0] = workRgb[i * 3]!;
      c[1] = workRgb[i * 3 + 1]!;
      c[2] = workRgb[i * 3 + 2]!;
      if (dist2(c, b) >= minSeparation2) continue; // not the backdrop's colour: leave it to the refinement
      // A thin part has no interior nearby: its band cells are its colour, unless they look like backdrop.
      const known = around(F, w, h, x, y, win, f) || (around(Fb, w, h, x, y, win, f) && dist2(f, b) >= minSeparation2) || around(F, w, h, x, y, wide, f);
      if (!known) continue;
      const den = dist2(f, b);
      if (den < minSeparation2) continue; // white on white: the colour cannot tell
      const alpha = ((c[0]! - b[0]!) * (f[0]! - b[0]!) + (c[1]! - b[1]!) * (f[1]! - b[1]!) + (c[2]! - b[2]!) * (f[2]! - b[2]!)) / den;
      if (alpha < 0.25) peel.push(i);
    }
  }
  for (const i of peel) mask[i] = 0;
}
