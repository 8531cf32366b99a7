/**
 * Procedural studio shots for what the labelled studio set lacks (glass, rings, cables, tote bags) and
 * for the test fixtures: products drawn as SVG (rendered by sharp/librsvg), placed on a light-box backdrop
 * with fall-off, a contact or drop shadow, lens softness, sensor noise and JPEG. The ground truth is the
 * product's own alpha (≥ 128), except for glass, whose whole silhouette is product although it is
 * see-through. Deterministic: a seeded noise generator, no randomness elsewhere.
 */
import sharp from 'sharp';

export type Rgb = [number, number, number];

export interface RenderSpec {
  id: string;
  categories: string[];
  width: number;
  height: number;
  backdrop: Rgb;
  /** Brightness lost at the corners (0..1). */
  falloff: number;
  /** 'contact': standing product, shadow under its base; 'drop': flat lay, shadow offset down-right. */
  shadow: 'contact' | 'drop';
  /** Darkest shadow point as a fraction of the backdrop's light. */
  shadowStrength: number;
  /** SVG body (inside an <svg> of width × height), drawing the product. */
  svg: (w: number, h: number) => string;
  /** SVG of the product's silhouette (filled black) when it differs from the drawing's alpha (glass). */
  silhouette?: (w: number, h: number) => string;
  noise: number;
  jpegQuality: number;
  seed: number;
}

export interface Rendered {
  jpeg: Buffer;
  /** Ground truth, 1 = product. */
  mask: Uint8Array;
  width: number;
  height: number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const svgDoc = (w: number, h: number, body: string): Buffer =>
  Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">${body}</svg>`);

async function rasterise(w: number, h: number, body: string): Promise<Uint8Array> {
  return new Uint8Array(
    await sharp(svgDoc(w, h, body))
      .ensureAlpha()
      .raw()
      .toBuffer(),
  );
}

/** Separable box blur repeated 3× (≈ Gaussian with σ ≈ r·0.8) on a float plane. */
function blur(src: Float32Array, w: number, h: number, r: number): Float32Array {
  let a = src;
  for (let pass = 0; pass < 3; pass++) {
    const t = new Float32Array(w * h),
      o = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      let s = 0;
      for (let x = -r; x <= r; x++) s += a[y * w + Math.min(w - 1, Math.max(0, x))]!;
      for (let x = 0; x < w; x++) {
        t[y * w + x] = s / (2 * r + 1);
        s += a[y * w + Math.min(w - 1, x + r + 1)]! - a[y * w + Math.max(0, x - r)]!;
      }
    }
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let y = -r; y <= r; y++) s += t[Math.min(h - 1, Math.max(0, y)) * w + x]!;
      for (let y = 0; y < h; y++) {
        o[y * w + x] = s / (2 * r + 1);
        s += t[Math.min(h - 1, y + r + 1) * w + x]! - t[Math.max(0, y - r) * w + x]!;
      }
    }
    a = o;
  }
  return a;
}

/** Shadow field 0..1 from the product's alpha. */
function shadowField(alpha: Float32Array, w: number, h: number, kind: RenderSpec['shadow']): Float32Array {
  const s = new Float32Array(w * h);
  const scale = Math.max(w, h);
  if (kind === 'drop') {
    const dx = Math.round(scale * 0.012),
      dy = Math.round(scale * 0.018);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const sx = x - dx,
          sy = y - dy;
        if (sx >= 0 && sy >= 0) s[y * w + x] = alpha[sy * w + sx]!;
      }
    return normalise(blur(s, w, h, Math.max(2, Math.round(scale * 0.012))));
  }
  // Contact: an occlusion band under the lowest opaque pixel of each column, wide and soft plus tight.
  const base = new Int32Array(w).fill(-1);
  for (let x = 0; x < w; x++)
    for (let y = h - 1; y >= 0; y--)
      if (alpha[y * w + x]! > 0.5) {
        base[x] = y;
        break;
      }
  const bottom = Math.max(...base);
  const wide = new Float32Array(w * h),
    tight = new Float32Array(w * h);
  for (let x = 0; x < w; x++) {
    if (base[x]! < 0 || base[x]! < bottom - scale * 0.03) continue; // only parts resting near the floor
    for (let y = base[x]!; y < Math.min(h, base[x]! + scale * 0.02); y++) wide[y * w + x] = 1;
    for (let y = base[x]!; y < Math.min(h, base[x]! + 3); y++) tight[y * w + x] = 1;
  }
  const a = blur(wide, w, h, Math.max(3, Math.round(scale * 0.02)));
  const b = blur(tight, w, h, 2);
  for (let i = 0; i < w * h; i++) s[i] = 0.6 * a[i]! + 0.4 * b[i]!;
  return normalise(s);
}

function normalise(s: Float32Array): Float32Array {
  let max = 0;
  for (const v of s) if (v > max) max = v;
  if (max > 0) for (let i = 0; i < s.length; i++) s[i] = s[i]! / max;
  return s;
}

export async function renderStudioShot(spec: RenderSpec): Promise<Rendered> {
  const { width: w, height: h } = spec;
  const rand = rng(spec.seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const product = await rasterise(w, h, spec.svg(w, h));
  const alpha = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) alpha[i] = product[i * 4 + 3]! / 255;
  const silhouette = spec.silhouette ? await rasterise(w, h, spec.silhouette(w, h)) : null;
  const mask = new Uint8Array(w * h);
  const shapeAlpha = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const a = silhouette ? silhouette[i * 4 + 3]! : product[i * 4 + 3]!;
    mask[i] = a >= 128 ? 1 : 0;
    shapeAlpha[i] = a / 255;
  }
  const shadow = shadowField(shapeAlpha, w, h, spec.shadow);
  const rgb = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      // Light centre slightly above the middle; quadratic fall-off to the corners.
      const du = (x / (w - 1) - 0.5) * 2,
        dv = (y / (h - 1) - 0.45) * 2;
      const k = (1 - spec.falloff * Math.min(1, (du * du + dv * dv) / 2)) * (1 - spec.shadowStrength * shadow[i]!);
      const a = alpha[i]!;
      for (let c = 0; c < 3; c++) {
        const bg = spec.backdrop[c]! * k;
        rgb[i * 3 + c] = Math.max(0, Math.min(255, Math.round(product[i * 4 + c]! * a + bg * (1 - a))));
      }
    }
  }
  const soft = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
    .blur(0.6)
    .raw()
    .toBuffer();
  for (let i = 0; i < soft.length; i++) soft[i] = Math.max(0, Math.min(255, Math.round(soft[i]! + gauss() * spec.noise)));
  const jpeg = await sharp(soft, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: spec.jpegQuality })
    .toBuffer();
  return { jpeg, mask, width: w, height: h };
}
