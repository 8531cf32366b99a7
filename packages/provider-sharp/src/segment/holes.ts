/**
 * Real holes (a mug handle, the inside of a ring, loops of a cable) are enclosed by product, so the
 * geodesic distance calls them product. Through a real hole the backdrop continues, so a region is a hole
 * when all of these hold:
 * - its colour is the backdrop surface's at that place, a soft shadow allowed (a flat lay's drop shadow
 *   falls into its loops), and at least `strictShare` of it matches the backdrop without any shadow
 *   allowance — a grey or off-white print is uniformly off, a shadowed hole is not;
 * - it has only the paper's texture (each pixel nearly, and on average within the floor);
 * - it is bounded by the product's edge: most of its rim is a sharp colour step. A patch of a white
 *   product that happens to match the backdrop is bounded by smooth shading instead;
 * - product separates it from the backdrop outside by more than a faint line (OUTSIDE_GAP pixels): the
 *   white part of a book cover behind a barely visible edge is not a hole.
 */
import type { BackdropSurface } from './backdrop-surface.js';
import { boxMean } from './box-filter.js';
import { labelComponents } from './components.js';
import type { Evidence } from './evidence.js';
import { dilate, erode } from './morphology.js';
import type { WorkingImage } from './working-image.js';

export interface HoleOptions {
  texFloor: number;
  devFloor: number;
  /** Colour step (ΔE between neighbours) that counts as the product's edge on a hole's rim. */
  edgeStep: number;
  /** `ev.dev` averaged over 3×3 (the segmenter has it already). */
  devNear: Float32Array;
}

export interface HoleResult {
  /** Regions cleared. */
  holes: number;
  /** Pixels cleared. */
  area: number;
}

const STRICT_SHARE = 0.3;
const RIM_SUPPORT = 0.6;
const OUTSIDE_GAP = 3;
/** The candidates stop a pixel or two short of the product's edge (texture and averaging windows). */
const RIM_REACH = 4;

/** Clears, in `mask` (1 = product), the enclosed regions that continue the backdrop. */
export function findHoles(mask: Uint8Array, img: WorkingImage, surface: BackdropSurface, ev: Evidence, tex: Float32Array, o: HoleOptions): HoleResult {
  const { width: w, height: h, L, A, B } = img;
  const m = w * h;
  const nearDev = o.devNear;
  let cand: Uint8Array = new Uint8Array(m);
  for (let i = 0; i < m; i++) cand[i] = mask[i] && nearDev[i]! <= 2 * o.devFloor && tex[i]! <= 1.5 * o.texFloor ? 1 : 0;
  // Close pinholes (noise) so a region's rim is its real border, not speckle inside it.
  cand = erode(dilate(cand, w, h, 1), w, h, 1);
  for (let i = 0; i < m; i++) if (!mask[i]) cand[i] = 0;
  const comp = labelComponents(cand, w, h, 1);
  const minArea = minAreaOf(m);
  let enclosed = false;
  for (let c = 1; c <= comp.count && !enclosed; c++) if (comp.areas[c]! >= minArea && !comp.touchesBorder[c]) enclosed = true;
  if (!enclosed) return { holes: 0, area: 0 };
  // The backdrop outside the product (non-product parts touching the frame), widened by the gap.
  const bg = labelComponents(mask, w, h, 0);
  const outside = new Uint8Array(m);
  for (let i = 0; i < m; i++) outside[i] = bg.labels[i] && bg.touchesBorder[bg.labels[i]!] ? 1 : 0;
  const nearOutside = dilate(outside, w, h, OUTSIDE_GAP);
  const touchesOutside = new Uint8Array(comp.count + 1);
  for (let i = 0; i < m; i++) if (comp.labels[i] && nearOutside[i]) touchesOutside[comp.labels[i]!] = 1;
  let possible = 0;
  for (let c = 1; c <= comp.count; c++) if (comp.areas[c]! >= minArea && !comp.touchesBorder[c] && !touchesOutside[c]) possible++;
  if (!possible) return { holes: 0, area: 0 };
  // Raw colour distance to the backdrop surface (no shadow allowance), averaged over 3×3 against JPEG noise.
  const raw = new Float32Array(m);
  for (let i = 0; i < m; i++) {
    const dl = L[i]! - surface.L[i]!,
      da = A[i]! - surface.A[i]!,
      db = B[i]! - surface.B[i]!;
    raw[i] = Math.sqrt(dl * dl + da * da + db * db);
  }
  const nearRaw = boxMean(raw, w, h, 1);
  const nb = new Int32Array(4);
  // Islands inside a region (a JPEG block off by a little) are not its rim: an island is a non-candidate
  // part that touches exactly one region and not the frame.
  const rest = labelComponents(cand, w, h, 0);
  const encloser = new Int32Array(rest.count + 1); // 0 none yet, -1 several or frame, else the region
  for (let k = 1; k <= rest.count; k++) if (rest.touchesBorder[k]) encloser[k] = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const k = rest.labels[i]!;
      if (!k || encloser[k] === -1) continue;
      neighbours(i, w, m, nb);
      for (let q = 0; q < 4; q++) {
        const j = nb[q]!;
        const c = j >= 0 ? comp.labels[j]! : 0;
        if (!c) continue;
        if (encloser[k] === 0) encloser[k] = c;
        else if (encloser[k] !== c) encloser[k] = -1;
      }
    }
  }
  // Only small islands (under a quarter of their region) are noise; a large enclosed part is product.
  for (let k = 1; k <= rest.count; k++) {
    const c = encloser[k]!;
    if (c > 0 && rest.areas[k]! > comp.areas[c]! / 4) encloser[k] = -1;
  }
  const strict = new Float64Array(comp.count + 1);
  const texSum = new Float64Array(comp.count + 1);
  const rim = new Float64Array(comp.count + 1),
    rimEdge = new Float64Array(comp.count + 1);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const c = comp.labels[i]!;
      if (!c) continue;
      if (nearRaw[i]! <= o.devFloor) strict[c] = strict[c]! + 1;
      texSum[c] = texSum[c]! + tex[i]!;
      // Rim: this pixel's 4-neighbours outside the region; is there a product edge within one step?
      neighbours(i, w, m, nb);
      for (let q = 0; q < 4; q++) {
        const j = nb[q]!;
        if (j < 0 || comp.labels[j] === c || encloser[rest.labels[j]!] === c) continue;
        rim[c] = rim[c]! + 1;
        if (edgeWithin(img, j, RIM_REACH, o.edgeStep)) rimEdge[c] = rimEdge[c]! + 1;
      }
    }
  }
  const isHole = new Uint8Array(comp.count + 1);
  let holes = 0;
  for (let c = 1; c <= comp.count; c++) {
    const a = comp.areas[c]!;
    if (
      a < minArea ||
      comp.touchesBorder[c] ||
      touchesOutside[c] ||
      texSum[c]! > o.texFloor * a ||
      strict[c]! < STRICT_SHARE * a ||
      rimEdge[c]! < RIM_SUPPORT * rim[c]!
    )
      continue;
    isHole[c] = 1;
    holes++;
  }
  if (!holes) return { holes: 0, area: 0 };
  // Clear the holes and grow them over their rims (blurred edge, JPEG ringing): a few pixels at most,
  // never across a product edge, and only while the colour stays near the backdrop's.
  let frontier: number[] = [];
  let area = 0;
  for (let i = 0; i < m; i++) {
    const c = comp.labels[i]! || Math.max(0, encloser[rest.labels[i]!]!);
    if (isHole[c]) {
      mask[i] = 0;
      frontier.push(i);
      area++;
    }
  }
  const growTol = 3 * o.devFloor;
  for (let step = 0; step < 4 && frontier.length; step++) {
    const next: number[] = [];
    for (const i of frontier) {
      neighbours(i, w, m, nb);
      for (let q = 0; q < 4; q++) {
        const j = nb[q]!;
        if (j >= 0 && mask[j] && ev.dev[j]! <= growTol && deltaE(img, i, j) < o.edgeStep) {
          mask[j] = 0;
          next.push(j);
          area++;
        }
      }
    }
    frontier = next;
  }
  return { holes, area };
}

/** Writes the 4-neighbours of pixel i (or -1 off the frame) into nb. */
function neighbours(i: number, w: number, m: number, nb: Int32Array): void {
  const x = i % w;
  nb[0] = x > 0 ? i - 1 : -1;
  nb[1] = x < w - 1 ? i + 1 : -1;
  nb[2] = i >= w ? i - w : -1;
  nb[3] = i < m - w ? i + w : -1;
}

/** Smallest region taken as a hole: 0.005 % of the working image, at least 12 pixels. */
const minAreaOf = (m: number): number => Math.max(12, Math.round(m * 0.00005));

function deltaE(img: WorkingImage, i: number, j: number): number {
  const dl = img.L[i]! - img.L[j]!,
    da = img.A[i]! - img.A[j]!,
    db = img.B[i]! - img.B[j]!;
  return Math.sqrt(dl * dl + da * da + db * db);
}

/** Whether a colour step of at least `step` (to a right or lower neighbour) lies within r pixels of pixel i. */
function edgeWithin(img: WorkingImage, i: number, r: number, step: number): boolean {
  const { width: w, height: h } = img;
  const cx = i % w,
    cy = (i / w) | 0;
  const s2 = step * step;
  for (let y = Math.max(0, cy - r); y <= Math.min(h - 2, cy + r); y++) {
    for (let x = Math.max(0, cx - r); x <= Math.min(w - 2, cx + r); x++) {
      const k = y * w + x;
      if (deltaE2(img, k, k + 1) >= s2 || deltaE2(img, k, k + w) >= s2) return true;
    }
  }
  return false;
}

function deltaE2(img: WorkingImage, i: number, j: number): number {
  const dl = img.L[i]! - img.L[j]!,
    da = img.A[i]! - img.A[j]!,
    db = img.B[i]! - img.B[j]!;
  return dl * dl + da * da + db * db;
}
