/**
 * Real holes (a mug handle, a loop of lace) are enclosed by product, so the geodesic distance calls them
 * product. What tells them apart from a print or a light patch of the product: through a hole the backdrop
 * continues — the backdrop surface's colour at that place within the noise, without the shadow allowance
 * (ink or a shaded surface is rarely exactly that), and only the paper's texture.
 */
import type { BackdropSurface } from './backdrop-surface.js';
import { boxMean } from './box-filter.js';
import { labelComponents } from './components.js';
import type { WorkingImage } from './working-image.js';

export interface HoleOptions {
  texFloor: number;
  devFloor: number;
}

export interface HoleResult {
  /** Regions cleared. */
  holes: number;
  /** Pixels cleared. */
  area: number;
}

/** Clears, in `mask` (1 = product), the enclosed regions that continue the backdrop. */
export function findHoles(mask: Uint8Array, img: WorkingImage, surface: BackdropSurface, tex: Float32Array, o: HoleOptions): HoleResult {
  const { width: w, height: h, L, A, B } = img;
  const m = w * h;
  // Raw colour distance to the backdrop surface (no shadow allowance), averaged over 3×3 against JPEG noise.
  const raw = new Float32Array(m);
  for (let i = 0; i < m; i++) {
    const dl = L[i]! - surface.L[i]!, da = A[i]! - surface.A[i]!, db = B[i]! - surface.B[i]!;
    raw[i] = Math.sqrt(dl * dl + da * da + db * db);
  }
  const near = boxMean(raw, w, h, 1);
  const cand = new Uint8Array(m);
  for (let i = 0; i < m; i++) cand[i] = mask[i] && near[i]! <= o.devFloor && tex[i]! <= o.texFloor ? 1 : 0;
  const comp = labelComponents(cand, w, h, 1);
  const minArea = Math.max(12, Math.round(m * 0.00005));
  const sum = new Float64Array(comp.count + 1);
  for (let i = 0; i < m; i++) { const c = comp.labels[i]!; if (c) sum[c] = sum[c]! + near[i]!; }
  const isHole = new Uint8Array(comp.count + 1);
  let holes = 0;
  for (let c = 1; c <= comp.count; c++) {
    if (comp.areas[c]! < minArea || sum[c]! / comp.areas[c]! > 0.6 * o.devFloor) continue;
    isHole[c] = 1;
    holes++;
  }
  if (!holes) return { holes: 0, area: 0 };
  // Clear the holes and grow them over their rims (blurred edge, JPEG ringing) while the colour stays
  // closer to the backdrop than to clear product, a few pixels at most.
  let frontier: number[] = [];
  let area = 0;
  for (let i = 0; i < m; i++) if (isHole[comp.labels[i]!]) { mask[i] = 0; frontier.push(i); area++; }
  const growTol = 3 * o.devFloor;
  for (let step = 0; step < 6 && frontier.length; step++) {
    const next: number[] = [];
    for (const i of frontier) {
      const x = i % w;
      const nb = [x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1, i >= w ? i - w : -1, i < m - w ? i + w : -1];
      for (const j of nb) {
        if (j >= 0 && mask[j] && raw[j]! <= growTol) { mask[j] = 0; next.push(j); area++; }
      }
    }
    frontier = next;
  }
  return { holes, area };
}
