/**
 * Geodesic distance from the frame: the cheapest path cost from the border to each pixel, where a step
 * costs what it crosses (colour steps above the noise: outlines) plus what it lands on (colour unlike the
 * backdrop). The backdrop is one border-connected region with a smooth fall-off, so it is reached cheaply;
 * a product, even one the colour of the backdrop, sits behind its outline and is reached only at a price.
 *
 * Computed with raster sweeps (forward and backward 8-neighbour passes, repeated until stable or
 * `maxSweeps`): linear in the pixel count per sweep, no priority queue. Step costs are computed once.
 * Paths that wind back and forth more than `maxSweeps` times are approximated from above.
 */

/** Cost of the step between each pixel and its neighbour to the right (E), below (S), below-right (SE), below-left (SW). */
export interface StepCosts {
  E: Float32Array;
  S: Float32Array;
  SE: Float32Array;
  SW: Float32Array;
  /** The raw colour step (ΔE) to the right or lower neighbour, the larger: the quality checks' image gradient. */
  grad: Float32Array;
}

type Lab = { width: number; height: number; L: Float32Array; A: Float32Array; B: Float32Array };

/** Step costs: the colour difference (ΔE) above `floor` (noise), times `weight`. Computed once per photo. */
export function stepCosts(img: Lab, floor: number, weight: number): StepCosts {
  const grad = new Float32Array(img.width * img.height);
  return {
    E: stepCost(img, 1, 0, floor, weight, grad),
    S: stepCost(img, 0, 1, floor, weight, grad),
    SE: stepCost(img, 1, 1, floor, weight, null),
    SW: stepCost(img, -1, 1, floor, weight, null),
    grad,
  };
}

/** One direction's step costs; `grad` (if given) is raised to the raw ΔE. */
function stepCost(img: Lab, dx: number, dy: number, floor: number, weight: number, grad: Float32Array | null): Float32Array {
  const { width: w, height: h, L, A, B } = img;
  const out = new Float32Array(w * h);
  const x0 = dx < 0 ? 1 : 0,
    x1 = dx > 0 ? w - 1 : w;
  const off = dy * w + dx;
  for (let y = 0; y < h - dy; y++) {
    for (let x = x0; x < x1; x++) {
      const i = y * w + x,
        j = i + off;
      const dl = L[i]! - L[j]!,
        da = A[i]! - A[j]!,
        db = B[i]! - B[j]!;
      const d = Math.sqrt(dl * dl + da * da + db * db);
      if (grad && d > grad[i]!) grad[i] = d;
      const e = d - floor;
      out[i] = e > 0 ? e * weight : 0;
    }
  }
  return out;
}

export interface GeodesicCosts {
  width: number;
  height: number;
  steps: StepCosts;
  /** Per-pixel cost of landing on the pixel (≥ 0). */
  land: Float32Array;
  /** Start value of each frame pixel. */
  seed: Float32Array;
  /**
   * Distances are only needed up to here (far above any decision threshold): every pixel starts at the
   * cap, so the sweeps stop once no pixel below it improves instead of refining the product's interior.
   */
  cap: number;
  /** The decision threshold: sweeping stops once a sweep moves (almost) no pixel from above it to below. */
  threshold: number;
}

/**
 * The pixels reached from the frame at no cost at all (free steps onto free pixels): certainly backdrop.
 * One breadth-first pass; used to pick the pixels the backdrop surface is refitted on.
 */
export function freeFromBorder(width: number, height: number, steps: StepCosts, land: Float32Array): Uint8Array {
  const w = width,
    h = height,
    n = w * h;
  const { E, S, SE, SW } = steps;
  const seen = new Uint8Array(n);
  const queue = new Int32Array(n);
  let head = 0,
    tail = 0;
  for (let i = 0; i < n; i++) {
    const x = i % w;
    if ((i < w || i >= n - w || x === 0 || x === w - 1) && land[i] === 0) {
      seen[i] = 1;
      queue[tail++] = i;
    }
  }
  // Breadth-first, neighbours inlined (a visit closure costs a call per neighbour on a hot path).
  while (head < tail) {
    const i = queue[head++]!;
    const y = (i / w) | 0,
      x = i - y * w;
    let j: number;
    if (x < w - 1) {
      j = i + 1;
      if (!seen[j] && E[i] === 0 && land[j] === 0) {
        seen[j] = 1;
        queue[tail++] = j;
      }
    }
    if (x > 0) {
      j = i - 1;
      if (!seen[j] && E[j] === 0 && land[j] === 0) {
        seen[j] = 1;
        queue[tail++] = j;
      }
    }
    if (y < h - 1) {
      j = i + w;
      if (!seen[j] && S[i] === 0 && land[j] === 0) {
        seen[j] = 1;
        queue[tail++] = j;
      }
      if (x < w - 1) {
        j = i + w + 1;
        if (!seen[j] && SE[i] === 0 && land[j] === 0) {
          seen[j] = 1;
          queue[tail++] = j;
        }
      }
      if (x > 0) {
        j = i + w - 1;
        if (!seen[j] && SW[i] === 0 && land[j] === 0) {
          seen[j] = 1;
          queue[tail++] = j;
        }
      }
    }
    if (y > 0) {
      j = i - w;
      if (!seen[j] && S[j] === 0 && land[j] === 0) {
        seen[j] = 1;
        queue[tail++] = j;
      }
      if (x > 0) {
        j = i - w - 1;
        if (!seen[j] && SE[j] === 0 && land[j] === 0) {
          seen[j] = 1;
          queue[tail++] = j;
        }
      }
      if (x < w - 1) {
        j = i - w + 1;
        if (!seen[j] && SW[j] === 0 && land[j] === 0) {
          seen[j] = 1;
          queue[tail++] = j;
        }
      }
    }
  }
  return seen;
}

export function geodesicFromBorder(c: GeodesicCosts, maxSweeps = 6): Float32Array {
  const { width: w, height: h, land } = c;
  const n = w * h;
  const { E, S, SE, SW } = c.steps;
  const D = new Float32Array(n).fill(c.cap);
  for (let i = 0; i < n; i++) {
    const x = i % w;
    if (i < w || i >= n - w || x === 0 || x === w - 1) D[i] = Math.min(c.cap, c.seed[i]!);
  }
  const SQ2 = Math.SQRT2;
  const T = c.threshold;
  // A few stragglers along winding paths do not change the cut; the next stage cleans specks anyway.
  const minFlips = Math.floor(n * 1e-4);
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let changed = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        const li = land[i]!,
          ld = li * SQ2;
        let best = D[i]!;
        let v: number;
        if (x > 0) {
          v = D[i - 1]! + E[i - 1]! + li;
          if (v < best) best = v;
        }
        if (y > 0) {
          const u = i - w;
          v = D[u]! + S[u]! + li;
          if (v < best) best = v;
          if (x > 0) {
            v = D[u - 1]! + SE[u - 1]! + ld;
            if (v < best) best = v;
          }
          if (x < w - 1) {
            v = D[u + 1]! + SW[u + 1]! + ld;
            if (v < best) best = v;
          }
        }
        if (best < D[i]!) {
          if (D[i]! > T && best <= T) changed++;
          D[i] = best;
        }
      }
    }
    for (let y = h - 1; y >= 0; y--) {
      for (let x = w - 1; x >= 0; x--) {
        const i = y * w + x;
        const li = land[i]!,
          ld = li * SQ2;
        let best = D[i]!;
        let v: number;
        if (x < w - 1) {
          v = D[i + 1]! + E[i]! + li;
          if (v < best) best = v;
        }
        if (y < h - 1) {
          const d = i + w;
          v = D[d]! + S[i]! + li;
          if (v < best) best = v;
          if (x < w - 1) {
            v = D[d + 1]! + SE[i]! + ld;
            if (v < best) best = v;
          }
          if (x > 0) {
            v = D[d - 1]! + SW[i]! + ld;
            if (v < best) best = v;
          }
        }
        if (best < D[i]!) {
          if (D[i]! > T && best <= T) changed++;
          D[i] = best;
        }
      }
    }
    if (changed <= minFlips) break;
  }
  return D;
}
