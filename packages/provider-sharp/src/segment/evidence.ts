/**
 * Per-pixel evidence at working resolution, measured against the backdrop model:
 * - `dev`: how unlike the backdrop a pixel's colour is, after forgiving what a soft shadow does (a shadow
 *   multiplies the backdrop's light by a factor k: L*+16, a* and b* shrink by ∛k, the hue stays). Only
 *   k ≥ 1 − maxShadow is forgiven: a light box's soft shadows take away at most about half the light, so
 *   a near-black product on a dark-grey backdrop is not "a deep shadow";
 * - `darker`: how much darker than the backdrop it is (the part `dev` forgives, for the shadow analysis);
 * - the noise level of the backdrop (ΔE between neighbouring backdrop pixels), which scales every threshold.
 */
import type { BackdropSurface } from './backdrop-surface.js';
import type { WorkingImage } from './working-image.js';

export interface Evidence {
  /** Colour deviation from the backdrop in ΔE, shadow-forgiven (chroma shift + lightening). */
  dev: Float32Array;
  /** L* below the backdrop model (≥ 0). */
  darker: Float32Array;
  /** Backdrop model L* per pixel. */
  Lm: Float32Array;
  /** Median ΔE between horizontal neighbours on the clean border: the working image's noise. */
  noise: number;
}

/** `noise`: the image's own noise if already measured (it does not depend on the surface). */
export function measureEvidence(img: WorkingImage, surface: BackdropSurface, maxShadow: number, noise = borderNoise(img)): Evidence {
  const { L, A, B } = img;
  const n = img.width * img.height;
  const dev = new Float32Array(n);
  const darker = new Float32Array(n);
  const sMin = Math.cbrt(1 - maxShadow);
  for (let i = 0; i < n; i++) {
    const lm = surface.L[i]!;
    const dl = L[i]! - lm;
    // A shadow scales (L*+16), a* and b* by the same factor (cube root of the light ratio).
    let s = dl < 0 ? (L[i]! + 16) / (lm + 16) : 1;
    let deep = 0;
    if (s < sMin) {
      deep = (sMin - s) * (lm + 16);
      s = sMin;
    }
    const da = A[i]! - surface.A[i]! * s,
      db = B[i]! - surface.B[i]! * s;
    const lighter = Math.max(0, dl);
    dev[i] = Math.sqrt(da * da + db * db + lighter * lighter + deep * deep);
    darker[i] = dl < 0 ? -dl : 0;
  }
  return { dev, darker, Lm: surface.L, noise };
}

/** Median ΔE between horizontal neighbours along the frame (a 4-pixel band): noise, not texture. */
function borderNoise(img: WorkingImage): number {
  const { width: w, height: h, L, A, B } = img;
  const band = Math.min(4, (Math.min(w, h) / 4) | 0);
  const d: number[] = [];
  const add = (i: number): void => {
    const dl = L[i]! - L[i + 1]!,
      da = A[i]! - A[i + 1]!,
      db = B[i]! - B[i + 1]!;
    d.push(Math.sqrt(dl * dl + da * da + db * db));
  };
  for (let y = 0; y < h; y++) {
    const edgeRow = y < band || y >= h - band;
    for (let x = 0; x < w - 1; x++) if (edgeRow || x < band || x >= w - 1 - band) add(y * w + x);
  }
  d.sort((a, b) => a - b);
  return d[d.length >> 1] ?? 0;
}
