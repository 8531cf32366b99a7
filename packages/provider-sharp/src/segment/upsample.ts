/**
 * Brings a working-resolution mask back to the photo's resolution: bilinear interpolation of the 0/1 cells
 * (cell centres at (i + ½)·factor), cut at ½, so the outline is smooth rather than a staircase of cells.
 * Only pixels whose four surrounding cells disagree are interpolated.
 */
export function upsampleMask(mask: Uint8Array, w: number, h: number, factor: number, W: number, H: number): Uint8Array {
  const out = new Uint8Array(W * H);
  if (factor === 1) { out.set(mask); return out; }
  const x0s = new Int32Array(W), fxs = new Float32Array(W);
  for (let X = 0; X < W; X++) {
    const gx = (X + 0.5) / factor - 0.5;
    const x0 = Math.max(0, Math.min(w - 1, Math.floor(gx)));
    x0s[X] = x0;
    fxs[X] = Math.max(0, Math.min(1, gx - x0));
  }
  for (let Y = 0; Y < H; Y++) {
    const gy = (Y + 0.5) / factor - 0.5;
    const y0 = Math.max(0, Math.min(h - 1, Math.floor(gy)));
    const y1 = Math.min(h - 1, y0 + 1);
    const fy = Math.max(0, Math.min(1, gy - y0));
    const r0 = y0 * w, r1 = y1 * w, o = Y * W;
    for (let X = 0; X < W; X++) {
      const x0 = x0s[X]!, x1 = x0 + 1 < w ? x0 + 1 : x0;
      const a = mask[r0 + x0]!, b = mask[r0 + x1]!, c = mask[r1 + x0]!, d = mask[r1 + x1]!;
      if (a === b && a === c && a === d) { out[o + X] = a; continue; }
      const fx = fxs[X]!;
      const v = (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
      out[o + X] = v >= 0.5 ? 1 : 0;
    }
  }
  return out;
}
