/**
 * The procedural products (see scenes.ts). Each draws at any size; the ids name product and backdrop
 * (w = white, g = light grey, d = dark grey, b = beige). Licence: MIT, like this repository.
 */
import type { RenderSpec } from './scenes.js';

const lin = (id: string, stops: Array<[number, string]>, x2 = 1, y2 = 0): string =>
  `<linearGradient id="${id}" x1="0" y1="0" x2="${x2}" y2="${y2}">${stops.map(([o, c]) => `<stop offset="${o}" stop-color="${c}"/>`).join('')}</linearGradient>`;

/** White bottle with a red cap ring: the issue's white-on-white headline case. */
const whiteBottle = (w: number, h: number): string => {
  const cx = w * 0.5,
    top = h * 0.14,
    bw = w * 0.16,
    bh = h * 0.68;
  return `<defs>${lin('body', [
    [0, '#d9d9d7'],
    [0.25, '#fbfbfa'],
    [0.55, '#ffffff'],
    [0.85, '#ececea'],
    [1, '#cfcfcd'],
  ])}
    ${lin('cap', [
      [0, '#c9c9c9'],
      [0.4, '#f6f6f6'],
      [1, '#bdbdbd'],
    ])}</defs>
    <rect x="${cx - bw * 0.22}" y="${top}" width="${bw * 0.44}" height="${bh * 0.09}" rx="3" fill="url(#cap)"/>
    <rect x="${cx - bw * 0.23}" y="${top + bh * 0.09}" width="${bw * 0.46}" height="${bh * 0.018}" fill="#c8202a"/>
    <path d="M ${cx - bw * 0.2} ${top + bh * 0.105} L ${cx - bw * 0.2} ${top + bh * 0.16} Q ${cx - bw / 2} ${top + bh * 0.22} ${cx - bw / 2} ${top + bh * 0.3}
      L ${cx - bw / 2} ${top + bh - 8} Q ${cx - bw / 2} ${top + bh} ${cx - bw / 2 + 8} ${top + bh} L ${cx + bw / 2 - 8} ${top + bh} Q ${cx + bw / 2} ${top + bh} ${cx + bw / 2} ${top + bh - 8}
      L ${cx + bw / 2} ${top + bh * 0.3} Q ${cx + bw / 2} ${top + bh * 0.22} ${cx + bw * 0.2} ${top + bh * 0.16} L ${cx + bw * 0.2} ${top + bh * 0.105} Z" fill="url(#body)"/>
    <text x="${cx}" y="${top + bh * 0.6}" font-family="sans-serif" font-size="${bw * 0.16}" font-weight="bold" text-anchor="middle" fill="#9aa0a6">PURE</text>`;
};

/** White mug with a blue logo on white: the handle encloses a real hole. */
const whiteMug = (w: number, h: number): string => {
  const x0 = w * 0.3,
    y0 = h * 0.3,
    bw = w * 0.3,
    bh = h * 0.45;
  return `<defs>${lin('mug', [
    [0, '#d7d7d5'],
    [0.3, '#fdfdfc'],
    [0.6, '#ffffff'],
    [1, '#d2d2d0'],
  ])}</defs>
    <path d="M ${x0 + bw - 4} ${y0 + bh * 0.2} C ${x0 + bw + w * 0.14} ${y0 + bh * 0.15}, ${x0 + bw + w * 0.14} ${y0 + bh * 0.75}, ${x0 + bw - 4} ${y0 + bh * 0.72}"
      fill="none" stroke="#e4e4e2" stroke-width="${w * 0.028}"/>
    <rect x="${x0}" y="${y0}" width="${bw}" height="${bh}" rx="${w * 0.012}" fill="url(#mug)"/>
    <ellipse cx="${x0 + bw / 2}" cy="${y0 + 3}" rx="${bw / 2 - 2}" ry="${h * 0.012}" fill="#e9e9e7"/>
    <circle cx="${x0 + bw * 0.45}" cy="${y0 + bh * 0.5}" r="${bw * 0.16}" fill="#2f6fde"/>
    <text x="${x0 + bw * 0.45}" y="${y0 + bh * 0.5 + bw * 0.06}" font-family="sans-serif" font-size="${bw * 0.18}" font-weight="bold" text-anchor="middle" fill="#ffffff">jk</text>`;
};

/** Gold ring seen from above at an angle: an annulus, the inside is backdrop. */
const goldRing = (w: number, h: number): string => {
  const cx = w * 0.5,
    cy = h * 0.5,
    rx = w * 0.2,
    ry = h * 0.17,
    t = w * 0.035;
  return `<defs>${lin(
    'gold',
    [
      [0, '#8a6a1e'],
      [0.3, '#f1d27a'],
      [0.5, '#c9a03e'],
      [0.75, '#f6e2a0'],
      [1, '#7d5e18'],
    ],
    1,
    1,
  )}</defs>
    <ellipse cx="${cx}" cy="${cy}" rx="${rx}" ry="${ry}" fill="none" stroke="url(#gold)" stroke-width="${t}"/>
    <ellipse cx="${cx}" cy="${cy - ry}" rx="${w * 0.03}" ry="${h * 0.035}" fill="#dfe7ff" stroke="#a9b4d6" stroke-width="2"/>`;
};

/** Black cable coiled in loops with a plug, on light grey: thin parts and enclosed loops. */
const cable = (w: number, h: number): string => {
  const s = Math.min(w, h);
  const loops = [0, 1, 2]
    .map(
      (k) =>
        `<ellipse cx="${w * 0.45 + k * s * 0.03}" cy="${h * 0.5 + k * s * 0.015}" rx="${s * (0.26 - k * 0.03)}" ry="${s * (0.2 - k * 0.025)}" fill="none" stroke="#1d1d1f" stroke-width="${s * 0.013}"/>`,
    )
    .join('');
  return `${loops}
    <path d="M ${w * 0.45 + s * 0.26} ${h * 0.5} C ${w * 0.8} ${h * 0.55}, ${w * 0.78} ${h * 0.75}, ${w * 0.84} ${h * 0.8}" fill="none" stroke="#1d1d1f" stroke-width="${s * 0.013}"/>
    <rect x="${w * 0.82}" y="${h * 0.78}" width="${s * 0.07}" height="${s * 0.11}" rx="4" fill="#2a2a2c"/>
    <rect x="${w * 0.83}" y="${h * 0.78 + s * 0.11}" width="${s * 0.012}" height="${s * 0.04}" fill="#b9b9b9"/>
    <rect x="${w * 0.83 + s * 0.035}" y="${h * 0.78 + s * 0.11}" width="${s * 0.012}" height="${s * 0.04}" fill="#b9b9b9"/>`;
};

/** Tote bag: two handle loops (holes) and lettering. */
const tote =
  (fabric: string, shade: string, ink: string) =>
  (w: number, h: number): string => {
    const x0 = w * 0.3,
      y0 = h * 0.38,
      bw = w * 0.4,
      bh = h * 0.5,
      hw = w * 0.018;
    return `<defs>${lin('fab', [
      [0, shade],
      [0.5, fabric],
      [1, shade],
    ])}</defs>
    <path d="M ${x0 + bw * 0.2} ${y0 + 2} C ${x0 + bw * 0.2} ${h * 0.08}, ${x0 + bw * 0.45} ${h * 0.08}, ${x0 + bw * 0.45} ${y0 + 2}" fill="none" stroke="${shade}" stroke-width="${hw}"/>
    <path d="M ${x0 + bw * 0.55} ${y0 + 2} C ${x0 + bw * 0.55} ${h * 0.1}, ${x0 + bw * 0.8} ${h * 0.1}, ${x0 + bw * 0.8} ${y0 + 2}" fill="none" stroke="${fabric}" stroke-width="${hw}"/>
    <path d="M ${x0} ${y0} L ${x0 + bw} ${y0} L ${x0 + bw * 1.03} ${y0 + bh} L ${x0 - bw * 0.03} ${y0 + bh} Z" fill="url(#fab)"/>
    <text x="${x0 + bw / 2}" y="${y0 + bh * 0.45}" font-family="sans-serif" font-size="${bw * 0.13}" font-weight="bold" text-anchor="middle" fill="${ink}">MARKET</text>
    <text x="${x0 + bw / 2}" y="${y0 + bh * 0.62}" font-family="sans-serif" font-size="${bw * 0.08}" text-anchor="middle" fill="${ink}">fresh &amp; local</text>`;
  };

/** Clear glass tumbler: see-through body, highlights and a darker rim; its silhouette is the product. */
const glassOutline = (w: number, h: number): string => {
  const cx = w * 0.5,
    top = h * 0.22,
    bot = h * 0.8,
    rt = w * 0.13,
    rb = w * 0.1;
  return `M ${cx - rt} ${top} L ${cx - rb} ${bot} Q ${cx} ${bot + h * 0.03} ${cx + rb} ${bot} L ${cx + rt} ${top} Q ${cx} ${top + h * 0.03} ${cx - rt} ${top} Z`;
};
const glass = (w: number, h: number): string => `<defs>${lin('gl', [
  [0, 'rgba(120,130,140,0.55)'],
  [0.15, 'rgba(255,255,255,0.15)'],
  [0.5, 'rgba(200,210,220,0.12)'],
  [0.8, 'rgba(255,255,255,0.35)'],
  [1, 'rgba(110,120,130,0.6)'],
])}</defs>
  <path d="${glassOutline(w, h)}" fill="url(#gl)" stroke="rgba(90,100,110,0.7)" stroke-width="2"/>
  <rect x="${w * 0.5 - w * 0.1}" y="${h * 0.72}" width="${w * 0.2}" height="${h * 0.07}" fill="rgba(150,160,170,0.35)"/>
  <path d="M ${w * 0.41} ${h * 0.28} L ${w * 0.425} ${h * 0.7}" stroke="rgba(255,255,255,0.9)" stroke-width="${w * 0.008}"/>`;
const glassSilhouette = (w: number, h: number): string => `<path d="${glassOutline(w, h)}" fill="#000"/>`;

/** Black over-ear headphones on dark grey: dark on dark, the band encloses a hole. */
const headphones = (w: number, h: number): string => {
  const cx = w * 0.5,
    cy = h * 0.58,
    r = w * 0.2;
  return `<defs>${lin(
    'cup',
    [
      [0, '#0c0c0d'],
      [0.5, '#303033'],
      [1, '#0a0a0b'],
    ],
    1,
    1,
  )}</defs>
    <path d="M ${cx - r} ${cy} A ${r} ${r * 1.05} 0 0 1 ${cx + r} ${cy}" fill="none" stroke="#18181a" stroke-width="${w * 0.03}"/>
    <rect x="${cx - r - w * 0.05}" y="${cy - h * 0.02}" width="${w * 0.09}" height="${h * 0.24}" rx="${w * 0.035}" fill="url(#cup)"/>
    <rect x="${cx + r - w * 0.04}" y="${cy - h * 0.02}" width="${w * 0.09}" height="${h * 0.24}" rx="${w * 0.035}" fill="url(#cup)"/>`;
};

/** Red backpack with a carry handle loop and straps: colourful, contact shadow, thin parts. */
const backpack = (w: number, h: number): string => {
  const x0 = w * 0.33,
    y0 = h * 0.25,
    bw = w * 0.34,
    bh = h * 0.6;
  return `<defs>${lin('bp', [
    [0, '#8f1620'],
    [0.4, '#d6303b'],
    [1, '#7a111a'],
  ])}</defs>
    <path d="M ${x0 + bw * 0.35} ${y0 + 4} C ${x0 + bw * 0.35} ${y0 - h * 0.1}, ${x0 + bw * 0.65} ${y0 - h * 0.1}, ${x0 + bw * 0.65} ${y0 + 4}" fill="none" stroke="#2b2b2b" stroke-width="${w * 0.012}"/>
    <rect x="${x0}" y="${y0}" width="${bw}" height="${bh}" rx="${bw * 0.22}" fill="url(#bp)"/>
    <rect x="${x0 + bw * 0.15}" y="${y0 + bh * 0.55}" width="${bw * 0.7}" height="${bh * 0.35}" rx="${bw * 0.08}" fill="#b8232d" stroke="#6d0f16" stroke-width="3"/>
    <path d="M ${x0 + bw * 0.2} ${y0 + bh * 0.57} L ${x0 + bw * 0.8} ${y0 + bh * 0.57}" stroke="#e8e8e8" stroke-width="3" stroke-dasharray="8 5"/>
    <path d="M ${x0 - w * 0.012} ${y0 + bh * 0.2} C ${x0 - w * 0.06} ${y0 + bh * 0.5}, ${x0 - w * 0.05} ${y0 + bh * 0.8}, ${x0 + 2} ${y0 + bh * 0.95}" fill="none" stroke="#222" stroke-width="${w * 0.01}"/>`;
};

/** Light-grey cardboard box in perspective on white. */
const greyBox = (w: number, h: number): string => `
  <polygon points="${w * 0.28},${h * 0.4} ${w * 0.62},${h * 0.4} ${w * 0.62},${h * 0.82} ${w * 0.28},${h * 0.82}" fill="#d8d9dc"/>
  <polygon points="${w * 0.28},${h * 0.4} ${w * 0.36},${h * 0.3} ${w * 0.7},${h * 0.3} ${w * 0.62},${h * 0.4}" fill="#e9eaec"/>
  <polygon points="${w * 0.62},${h * 0.4} ${w * 0.7},${h * 0.3} ${w * 0.7},${h * 0.72} ${w * 0.62},${h * 0.82}" fill="#c4c5c9"/>
  <text x="${w * 0.45}" y="${h * 0.63}" font-family="sans-serif" font-size="${w * 0.04}" text-anchor="middle" fill="#8b8d93">FRAGILE</text>`;

/** Notebook lying flat, top light: a soft drop shadow down-right, a white label on a blue cover. */
const notebook = (w: number, h: number): string => `
  <rect x="${w * 0.3}" y="${h * 0.22}" width="${w * 0.38}" height="${h * 0.56}" rx="${w * 0.01}" fill="#1f4e8c"/>
  <rect x="${w * 0.3}" y="${h * 0.22}" width="${w * 0.035}" height="${h * 0.56}" fill="#163a69"/>
  <rect x="${w * 0.4}" y="${h * 0.34}" width="${w * 0.2}" height="${h * 0.1}" rx="4" fill="#f4f4f2"/>
  <text x="${w * 0.5}" y="${h * 0.4}" font-family="sans-serif" font-size="${w * 0.03}" text-anchor="middle" fill="#1f4e8c">NOTES</text>`;

const base = { falloff: 0.07, noise: 1.8, jpegQuality: 90 } as const;

/** The benchmark's renders (800×600 or 600×800). */
export const RENDERS: RenderSpec[] = [
  {
    ...base,
    id: 'r-white-bottle-w',
    categories: ['white-product', 'bottle', 'standing', 'white-backdrop'],
    width: 600,
    height: 800,
    backdrop: [246, 246, 245],
    shadow: 'contact',
    shadowStrength: 0.2,
    svg: whiteBottle,
    seed: 101,
  },
  {
    ...base,
    id: 'r-white-mug-w',
    categories: ['white-product', 'hole', 'print', 'standing', 'white-backdrop'],
    width: 800,
    height: 600,
    backdrop: [244, 244, 243],
    shadow: 'contact',
    shadowStrength: 0.22,
    svg: whiteMug,
    seed: 102,
  },
  {
    ...base,
    id: 'r-gold-ring-w',
    categories: ['ring', 'hole', 'colourful', 'flat-lay', 'white-backdrop'],
    width: 800,
    height: 600,
    backdrop: [247, 247, 246],
    shadow: 'drop',
    shadowStrength: 0.15,
    svg: goldRing,
    seed: 103,
  },
  {
    ...base,
    id: 'r-cable-g',
    categories: ['cable', 'dark-product', 'thin-parts', 'hole', 'flat-lay', 'light-grey-backdrop'],
    width: 800,
    height: 600,
    backdrop: [224, 224, 225],
    shadow: 'drop',
    shadowStrength: 0.15,
    svg: cable,
    seed: 104,
  },
  {
    ...base,
    id: 'r-tote-canvas-w',
    categories: ['tote', 'light-product', 'hole', 'print', 'thin-parts', 'standing', 'white-backdrop'],
    width: 600,
    height: 800,
    backdrop: [245, 245, 244],
    shadow: 'contact',
    shadowStrength: 0.18,
    svg: tote('#efe6d2', '#d9ceb6', '#2b2b2b'),
    seed: 105,
  },
  {
    ...base,
    id: 'r-tote-black-d',
    categories: ['tote', 'dark-product', 'white-logo', 'hole', 'thin-parts', 'standing', 'dark-backdrop'],
    width: 600,
    height: 800,
    backdrop: [72, 72, 74],
    shadow: 'contact',
    shadowStrength: 0.2,
    svg: tote('#202022', '#141415', '#f2f2f2'),
    seed: 106,
    noise: 2.2,
  },
  {
    ...base,
    id: 'r-glass-w',
    categories: ['glass', 'transparent', 'standing', 'white-backdrop'],
    width: 600,
    height: 800,
    backdrop: [244, 244, 244],
    shadow: 'contact',
    shadowStrength: 0.12,
    svg: glass,
    silhouette: glassSilhouette,
    seed: 107,
  },
  {
    ...base,
    id: 'r-headphones-d',
    categories: ['dark-product', 'hole', 'thin-parts', 'standing', 'dark-backdrop'],
    width: 800,
    height: 600,
    backdrop: [70, 70, 72],
    shadow: 'contact',
    shadowStrength: 0.2,
    svg: headphones,
    seed: 108,
    noise: 2.2,
  },
  {
    ...base,
    id: 'r-backpack-w',
    categories: ['colourful', 'hole', 'thin-parts', 'standing', 'white-backdrop'],
    width: 600,
    height: 800,
    backdrop: [243, 243, 242],
    shadow: 'contact',
    shadowStrength: 0.25,
    svg: backpack,
    seed: 109,
  },
  {
    ...base,
    id: 'r-notebook-flat-w',
    categories: ['colourful', 'white-logo', 'flat-lay', 'white-backdrop'],
    width: 800,
    height: 600,
    backdrop: [245, 245, 244],
    shadow: 'drop',
    shadowStrength: 0.25,
    svg: notebook,
    seed: 111,
  },
  {
    ...base,
    id: 'r-grey-box-w',
    categories: ['light-product', 'print', 'standing', 'white-backdrop'],
    width: 800,
    height: 600,
    backdrop: [246, 246, 246],
    shadow: 'contact',
    shadowStrength: 0.2,
    svg: greyBox,
    seed: 110,
  },
];
