/**
 * Procedural renderer for the core's theme recipes (solid, linear / radial gradient, studio sweep) plus the
 * layout's vignette and per-variant jitter. Pure JS on a raw RGB buffer: no assets, deterministic per
 * (theme, size, variant), so a retried step renders byte-identical backgrounds.
 */
import type { BackgroundRecipe, Rgb, Theme } from 'jobkit';

/** xorshift32: tiny, fast, seedable. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

const smoothstep = (a: number, b: number, x: number): number => {
  const t = Math.min(1, Math.max(0, (x - a) / (b - a)));
  return t * t * (3 - 2 * t);
};

interface Jitter {
  /** Per-channel colour gain. */
  gain: [number, number, number];
  /** Geometry nudges: gradient angle (degrees), centre / horizon shift (fraction of the frame). */
  angle: number;
  du: number;
  dv: number;
}

/** Variant 1 is the theme exactly; later variants shift brightness, warmth and geometry by up to `amount`. */
function jitterFor(theme: Theme, variant: number): Jitter {
  const amount = theme.layout.variantJitter;
  if (variant <= 1 || amount <= 0) return { gain: [1, 1, 1], angle: 0, du: 0, dv: 0 };
  const rand = prng(hash(`${theme.name}:${variant}`));
  const s = (): number => rand() * 2 - 1;
  const bright = s() * amount * 0.6;
  const warm = s() * amount * 0.5;
  return { gain: [1 + bright + warm, 1 + bright, 1 + bright - warm], angle: s() * amount * 250, du: s() * amount * 1.5, dv: s() * amount * 1.5 };
}

type ColourAt = (u: number, v: number, out: Float64Array) => void;

function recipeSampler(recipe: BackgroundRecipe, width: number, height: number, j: Jitter): ColourAt {
  switch (recipe.kind) {
    case 'solid': {
      const c = recipe.color;
      return (_u, _v, out) => {
        out[0] = c[0];
        out[1] = c[1];
        out[2] = c[2];
      };
    }
    case 'linear-gradient': {
      // CSS convention: 0° points up, 90° to the right; t runs 0..1 along the gradient line across the frame.
      const a = ((recipe.angleDeg + j.angle) * Math.PI) / 180;
      const dx = Math.sin(a),
        dy = -Math.cos(a);
      const half = (Math.abs(width * dx) + Math.abs(height * dy)) / 2;
      const { from, to } = recipe;
      return (u, v, out) => {
        const t = Math.min(1, Math.max(0, ((u - 0.5) * width * dx + (v - 0.5) * height * dy) / (2 * half) + 0.5));
        mix(from, to, t, out);
      };
    }
    case 'radial-gradient': {
      // A spotlight slightly above the middle, fading to the outer colour at the farthest corner.
      const cu = 0.5 + j.du,
        cv = 0.45 + j.dv;
      const aspect = width / height;
      const maxD = Math.hypot(Math.max(cu, 1 - cu) * aspect, Math.max(cv, 1 - cv));
      const { inner, outer } = recipe;
      return (u, v, out) => mix(inner, outer, smoothstep(0, 1, Math.hypot((u - cu) * aspect, v - cv) / maxD), out);
    }
    case 'studio-sweep': {
      // Wall above the horizon curving into the floor; light falls off slightly towards the top of the wall.
      const h = Math.min(0.95, Math.max(0.05, recipe.horizon + j.dv));
      const { wall, floor } = recipe;
      return (_u, v, out) => {
        mix(wall, floor, smoothstep(h - 0.12, h + 0.1, v), out);
        const k = 0.965 + 0.035 * Math.min(1, v / h) + 0.02 * smoothstep(h, 1, v);
        out[0]! *= k;
        out[1]! *= k;
        out[2]! *= k;
      };
    }
  }
}

function mix(a: Rgb, b: Rgb, t: number, out: Float64Array): void {
  out[0] = a[0] + (b[0] - a[0]) * t;
  out[1] = a[1] + (b[1] - a[1]) * t;
  out[2] = a[2] + (b[2] - a[2]) * t;
}

/** Renders one background variant (1-based) as raw RGB. */
export function renderBackground(theme: Theme, width: number, height: number, variant: number): Uint8Array {
  const j = jitterFor(theme, variant);
  const sample = recipeSampler(theme.recipe, width, height, j);
  const vignette = theme.layout.vignette;
  const flat = theme.recipe.kind === 'solid' && vignette <= 0;
  const out = new Uint8Array(width * height * 3);
  const c = new Float64Array(3);
  // Triangular dither (±1 LSB) keeps gradients free of banding; a flat colour stays exact (pure white).
  const rand = prng(hash(`${theme.name}:dither:${variant}`));
  const [gr, gg, gb] = j.gain;
  const aspect = width / height;
  for (let y = 0; y < height; y++) {
    const v = (y + 0.5) / height;
    for (let x = 0; x < width; x++) {
      const u = (x + 0.5) / width;
      sample(u, v, c);
      let k = 1;
      if (vignette > 0) {
        const r = Math.hypot((u - 0.5) * 2 * Math.min(1, aspect), (v - 0.5) * 2 * Math.min(1, 1 / aspect));
        k = 1 - vignette * 0.45 * smoothstep(0.45, 1.45, r);
      }
      const d = flat ? 0 : rand() - rand();
      const i = (y * width + x) * 3;
      out[i] = clamp(c[0]! * k * gr + d);
      out[i + 1] = clamp(c[1]! * k * gg + d);
      out[i + 2] = clamp(c[2]! * k * gb + d);
    }
  }
  return out;
}

const clamp = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));
