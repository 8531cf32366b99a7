/**
 * Camera-size studio photos for the pipeline benchmark, generated procedurally and cached on disk:
 * 4000×3000 (12 MP) JPEGs of a product on a light-box backdrop — tinted paper with radial fall-off and a
 * brighter floor, a soft contact shadow, a shaded product (bottle, mug with a handle hole, box, can, jar,
 * tube) with a printed label, sensor noise, JPEG 4:2:0 at quality 90 as a camera writes it. Every photo
 * differs (product, colour, size, position, backdrop tint, fall-off, noise seed), so no cache can help.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

export const PHOTO_WIDTH = 4000;
export const PHOTO_HEIGHT = 3000;
/** Bump when the renderer changes, so cached photos are made anew. */
const VERSION = 1;

export function photoDir(): string {
  return join(tmpdir(), `jobkit-bench-photos-v${VERSION}`);
}

function rng(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const PALETTE = ['#b8322a', '#1f5fa8', '#2e7d4f', '#d98b1c', '#6b3fa0', '#20252b', '#c2185b', '#00838f', '#8d6e63', '#546e7a', '#e0c040', '#9e2a2b'];
const LABEL_WORDS = ['AQUA', 'NORD', 'TERRA', 'LUMEN', 'VERDE', 'ORO', 'KAFE', 'SOLE', 'BRISA', 'MOKA'];

const shade = (hex: string, k: number): string => {
  const n = Number.parseInt(hex.slice(1), 16);
  const c = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((v) => Math.max(0, Math.min(255, Math.round(v * k))));
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
};

/** Horizontal shading of a cylinder: dark rims, a highlight left of centre. */
const cylinderGradient = (id: string, base: string): string =>
  `<linearGradient id="${id}" x1="0" x2="1" y1="0" y2="0">
    <stop offset="0" stop-color="${shade(base, 0.55)}"/><stop offset="0.28" stop-color="${shade(base, 1.25)}"/>
    <stop offset="0.4" stop-color="${shade(base, 1.05)}"/><stop offset="0.85" stop-color="${shade(base, 0.8)}"/>
    <stop offset="1" stop-color="${shade(base, 0.5)}"/></linearGradient>`;

interface Product {
  /** SVG elements drawn in a box of w × h with the base at y = h. */
  svg: string;
  defs: string;
  w: number;
  h: number;
}

function product(kind: number, r: () => number, scale: number): Product {
  const colour = PALETTE[Math.floor(r() * PALETTE.length)]!;
  const accent = PALETTE[Math.floor(r() * PALETTE.length)]!;
  const word = LABEL_WORDS[Math.floor(r() * LABEL_WORDS.length)]!;
  const g = cylinderGradient('body', colour);
  const ga = cylinderGradient('accent', accent);
  const label = (x: number, y: number, w: number, h: number): string =>
    `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="#f4f1ea"/><rect x="${x}" y="${y}" width="${w}" height="${h}" fill="url(#body)" opacity="0.18"/>
     <text x="${x + w / 2}" y="${y + h * 0.62}" font-family="sans-serif" font-weight="700" font-size="${h * 0.42}" text-anchor="middle" fill="${shade(accent, 0.8)}">${word}</text>`;
  const s = scale;
  switch (kind % 6) {
    case 0: {
      // bottle
      const w = 700 * s,
        h = 1900 * s;
      return {
        w,
        h,
        defs: g + ga,
        svg: `
        <rect x="${w * 0.36}" y="0" width="${w * 0.28}" height="${h * 0.1}" rx="${w * 0.03}" fill="url(#accent)"/>
        <path d="M${w * 0.38} ${h * 0.1} L${w * 0.38} ${h * 0.2} C${w * 0.38} ${h * 0.28} 0 ${h * 0.3} 0 ${h * 0.4} L0 ${h * 0.96} Q0 ${h} ${w * 0.06} ${h} L${w * 0.94} ${h} Q${w} ${h} ${w} ${h * 0.96} L${w} ${h * 0.4} C${w} ${h * 0.3} ${w * 0.62} ${h * 0.28} ${w * 0.62} ${h * 0.2} L${w * 0.62} ${h * 0.1} Z" fill="url(#body)"/>
        ${label(w * 0.04, h * 0.52, w * 0.92, h * 0.22)}`,
      };
    }
    case 1: {
      // mug with a handle (a real hole)
      const w = 1500 * s,
        h = 1300 * s,
        bw = w * 0.72;
      return {
        w,
        h,
        defs: g,
        svg: `
        <path fill-rule="evenodd" fill="${shade(colour, 0.85)}" d="M${bw * 0.9} ${h * 0.22} h${w * 0.12} a${w * 0.2} ${h * 0.28} 0 0 1 0 ${h * 0.56} h-${w * 0.12} v-${h * 0.12} h${w * 0.1} a${w * 0.09} ${h * 0.16} 0 0 0 0 -${h * 0.32} h-${w * 0.1} Z"/>
        <path d="M0 ${h * 0.06} L0 ${h * 0.94} Q0 ${h} ${bw * 0.08} ${h} L${bw * 0.92} ${h} Q${bw} ${h} ${bw} ${h * 0.94} L${bw} ${h * 0.06} Z" fill="url(#body)"/>
        <ellipse cx="${bw / 2}" cy="${h * 0.06}" rx="${bw / 2}" ry="${h * 0.06}" fill="${shade(colour, 0.45)}"/>
        ${label(bw * 0.2, h * 0.38, bw * 0.6, h * 0.24)}`,
      };
    }
    case 2: {
      // box, two faces
      const w = 1500 * s,
        h = 1500 * s;
      return {
        w,
        h,
        defs: g,
        svg: `
        <polygon points="0,${h * 0.22} ${w * 0.68},${h * 0.22} ${w * 0.68},${h} 0,${h}" fill="${colour}"/>
        <polygon points="${w * 0.68},${h * 0.22} ${w},0 ${w},${h * 0.8} ${w * 0.68},${h}" fill="${shade(colour, 0.7)}"/>
        <polygon points="0,${h * 0.22} ${w * 0.32},0 ${w},0 ${w * 0.68},${h * 0.22}" fill="${shade(colour, 1.2)}"/>
        ${label(w * 0.08, h * 0.5, w * 0.52, h * 0.2)}`,
      };
    }
    case 3: {
      // can
      const w = 800 * s,
        h = 1500 * s;
      return {
        w,
        h,
        defs: g,
        svg: `
        <rect x="0" y="${h * 0.04}" width="${w}" height="${h * 0.92}" fill="url(#body)"/>
        <ellipse cx="${w / 2}" cy="${h * 0.04}" rx="${w / 2}" ry="${h * 0.04}" fill="#c9ccd0"/>
        <ellipse cx="${w / 2}" cy="${h * 0.96}" rx="${w / 2}" ry="${h * 0.04}" fill="url(#body)"/>
        ${label(0, h * 0.4, w, h * 0.2)}`,
      };
    }
    case 4: {
      // jar
      const w = 1300 * s,
        h = 1300 * s;
      return {
        w,
        h,
        defs: g + ga,
        svg: `
        <rect x="${w * 0.08}" y="0" width="${w * 0.84}" height="${h * 0.16}" rx="${w * 0.04}" fill="url(#accent)"/>
        <rect x="0" y="${h * 0.15}" width="${w}" height="${h * 0.85}" rx="${w * 0.14}" fill="url(#body)"/>
        ${label(w * 0.1, h * 0.45, w * 0.8, h * 0.28)}`,
      };
    }
    default: {
      // tube lying on the floor
      const w = 2200 * s,
        h = 600 * s;
      return {
        w,
        h,
        defs: g + ga,
        svg: `
        <rect x="${w * 0.82}" y="${h * 0.28}" width="${w * 0.18}" height="${h * 0.5}" rx="${h * 0.06}" fill="url(#accent)"/>
        <path d="M0 ${h * 0.05} L${w * 0.82} ${h * 0.18} L${w * 0.82} ${h * 0.88} L0 ${h} Z" fill="${colour}"/>
        <path d="M0 ${h * 0.05} L${w * 0.82} ${h * 0.18} L${w * 0.82} ${h * 0.4} L0 ${h * 0.3} Z" fill="#ffffff" opacity="0.25"/>
        <text x="${w * 0.4}" y="${h * 0.7}" font-family="sans-serif" font-weight="700" font-size="${h * 0.3}" text-anchor="middle" fill="#f4f1ea">${word}</text>`,
      };
    }
  }
}

/** Renders photo `index` (deterministic) as a camera JPEG. */
export async function renderStudioPhoto(index: number): Promise<Buffer> {
  const W = PHOTO_WIDTH,
    H = PHOTO_HEIGHT;
  const r = rng(index + 1);
  const base = 236 + Math.floor(r() * 14);
  const tint = [base + Math.round((r() - 0.5) * 6), base + Math.round((r() - 0.5) * 4), base + Math.round((r() - 0.5) * 8)].map((v) => Math.min(255, v));
  const edge = tint.map((v) => Math.round(v * (0.84 + r() * 0.08)));
  const rgb = (c: number[]) => `rgb(${c.join(',')})`;
  const p = product(index, r, 0.75 + r() * 0.55);
  const x = (W - p.w) / 2 + (r() - 0.5) * W * 0.2;
  const floorY = H * (0.8 + r() * 0.1);
  const y = floorY - p.h;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
    <defs>
      <radialGradient id="falloff" cx="${45 + r() * 10}%" cy="${40 + r() * 10}%" r="80%"><stop offset="0" stop-color="${rgb(tint)}"/><stop offset="1" stop-color="${rgb(edge)}"/></radialGradient>
      <linearGradient id="floor" x1="0" x2="0" y1="0" y2="1"><stop offset="0.55" stop-color="#fff" stop-opacity="0"/><stop offset="1" stop-color="#fff" stop-opacity="0.12"/></linearGradient>
      <radialGradient id="shadow"><stop offset="0" stop-color="#000" stop-opacity="${0.3 + r() * 0.15}"/><stop offset="0.55" stop-color="#000" stop-opacity="${0.12 + r() * 0.05}"/><stop offset="1" stop-color="#000" stop-opacity="0"/></radialGradient>
      ${p.defs}
    </defs>
    <rect width="100%" height="100%" fill="url(#falloff)"/>
    <rect width="100%" height="100%" fill="url(#floor)"/>
    <ellipse cx="${x + p.w / 2 + (r() - 0.5) * 60}" cy="${floorY - 6}" rx="${p.w * 0.62}" ry="${70 + r() * 50}" fill="url(#shadow)"/>
    <g transform="translate(${x} ${y})">${p.svg}</g>
  </svg>`;
  const px = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer();
  // Sensor noise, σ 3–6 levels per channel (sum of three uniforms ≈ Gaussian), plus a little chroma noise.
  const sigma = 3 + r() * 3;
  const table = new Float32Array(65536);
  for (let i = 0; i < table.length; i++) table[i] = (r() + r() + r() - 1.5) * sigma * 2; // σ of the sum is 0.5
  let s = (index * 747796405 + 2891336453) >>> 0;
  for (let i = 0; i < px.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const v = px[i]! + table[s >>> 16]!;
    px[i] = v < 0 ? 0 : Math.min(v, 255);
  }
  return sharp(px, { raw: { width: W, height: H, channels: 3 } })
    .jpeg({ quality: 90, chromaSubsampling: '4:2:0' })
    .toBuffer();
}

/** Paths of photos 0..count-1, rendering (once, then from the cache) the ones not on disk yet. */
export async function ensurePhotos(count: number, log: (line: string) => void = () => {}): Promise<string[]> {
  const dir = photoDir();
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = join(dir, `studio-${String(i).padStart(4, '0')}.jpg`);
    if (!existsSync(file)) {
      const bytes = await renderStudioPhoto(i);
      await writeFile(`${file}.tmp`, bytes);
      await rename(`${file}.tmp`, file);
      log(`rendered ${file} (${(bytes.length / 1e6).toFixed(1)} MB)`);
    }
    files.push(file);
  }
  return files;
}
