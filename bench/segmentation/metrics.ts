/**
 * Scores a predicted mask against ground truth: IoU, boundary F-score at a pixel tolerance, and whether the
 * ground truth's enclosed holes (background not connected to the frame) stay background.
 * Masks are 1 byte per pixel, 1 = product.
 */

export function iou(pred: Uint8Array, truth: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < truth.length; i++) {
    const a = pred[i]!,
      b = truth[i]!;
    if (a & b) inter++;
    if (a | b) union++;
  }
  return union === 0 ? 1 : inter / union;
}

/** Pixels of `mask` with a 4-neighbour of the other value. */
function boundary(mask: Uint8Array, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const m = mask[i];
      if ((x > 0 && mask[i - 1] !== m) || (x < w - 1 && mask[i + 1] !== m) || (y > 0 && mask[i - w] !== m) || (y < h - 1 && mask[i + w] !== m)) out[i] = 1;
    }
  }
  return out;
}

/** Square (Chebyshev) dilation by r, separable. */
function dilate(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const tmp = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    let last = -1e9;
    for (let x = 0; x < w; x++) {
      if (mask[y * w + x]) last = x;
      if (x - last <= r) tmp[y * w + x] = 1;
    }
    last = 1e9;
    for (let x = w - 1; x >= 0; x--) {
      if (mask[y * w + x]) last = x;
      if (last - x <= r) tmp[y * w + x] = 1;
    }
  }
  const out = new Uint8Array(w * h);
  for (let x = 0; x < w; x++) {
    let last = -1e9;
    for (let y = 0; y < h; y++) {
      if (tmp[y * w + x]) last = y;
      if (y - last <= r) out[y * w + x] = 1;
    }
    last = 1e9;
    for (let y = h - 1; y >= 0; y--) {
      if (tmp[y * w + x]) last = y;
      if (last - y <= r) out[y * w + x] = 1;
    }
  }
  return out;
}

/** Boundary F-score: precision/recall of boundary pixels matched within `tol` px (Chebyshev). */
export function boundaryF(pred: Uint8Array, truth: Uint8Array, w: number, h: number, tol = 2): number {
  const bp = boundary(pred, w, h);
  const bt = boundary(truth, w, h);
  const dp = dilate(bp, w, h, tol);
  const dt = dilate(bt, w, h, tol);
  let np = 0,
    nt = 0,
    hitP = 0,
    hitT = 0;
  for (let i = 0; i < w * h; i++) {
    if (bp[i]) {
      np++;
      if (dt[i]) hitP++;
    }
    if (bt[i]) {
      nt++;
      if (dp[i]) hitT++;
    }
  }
  if (np === 0 && nt === 0) return 1;
  if (np === 0 || nt === 0) return 0;
  const p = hitP / np,
    r = hitT / nt;
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

export interface HoleCheck {
  /** Enclosed background regions of the ground truth with ≥ minArea pixels. */
  holes: number;
  /** Of those, how many are ≥ 90 % background in the prediction. */
  kept: number;
}

/** Ground-truth holes: background components (4-connected) not touching the frame. */
export function checkHoles(pred: Uint8Array, truth: Uint8Array, w: number, h: number, minArea = 200): HoleCheck {
  const label = new Int32Array(w * h).fill(-1);
  const stack: number[] = [];
  let holes = 0,
    kept = 0;
  for (let s = 0; s < w * h; s++) {
    if (truth[s] || label[s] !== -1) continue;
    label[s] = s;
    stack.push(s);
    let area = 0,
      bg = 0,
      border = false;
    while (stack.length) {
      const i = stack.pop()!;
      area++;
      if (!pred[i]) bg++;
      const x = i % w,
        y = (i / w) | 0;
      if (x === 0 || y === 0 || x === w - 1 || y === h - 1) border = true;
      const nb = [x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1, y > 0 ? i - w : -1, y < h - 1 ? i + w : -1];
      for (const j of nb)
        if (j >= 0 && !truth[j] && label[j] === -1) {
          label[j] = s;
          stack.push(j);
        }
    }
    if (!border && area >= minArea) {
      holes++;
      if (bg >= 0.9 * area) kept++;
    }
  }
  return { holes, kept };
}
