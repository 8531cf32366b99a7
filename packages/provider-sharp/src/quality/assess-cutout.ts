/**
 * The quality gate's verdict on a cutout: a score in 0..1 and the reasons behind it. Pure and synchronous
 * (pixels in, verdict out), so it runs in an image-pool thread for any segmenter's cutout.
 *
 * Each check maps one measurement (cutout-signals.ts) to a factor in 0..1 — 1 while the measurement is in
 * the range good cuts show, falling linearly to the check's floor where wrong cuts are — and the score is
 * the product of the factors: one clear problem alone is enough to fall below DEFAULT_REVIEW_MIN_SCORE
 * (0.6), two mild ones together also are. Every check below 0.95 adds a reason.
 */
import type { CutoutQuality } from 'jobkit';
import { measureCutout, type CutoutSignals } from './cutout-signals.js';

/** Extra evidence a segmenter may hand to the gate (only it knows how it decided). */
export interface SegmenterEvidence {
  /** Share of the outline decided without colour contrast (white on white): the edge there is a guess. */
  ambiguousOutline?: number;
  /** Share of the product whose decision was close to the threshold. */
  ambiguousArea?: number;
  /** Share of the product's outline area that was cut out as holes (see-through). */
  holeShare?: number;
}

/** 1 at `good` (and beyond, on the good side), `floor` at `bad` (and beyond), linear in between. */
function ramp(x: number, good: number, bad: number, floor: number): number {
  const t = (x - good) / (bad - good);
  return t <= 0 ? 1 : t >= 1 ? floor : 1 - t * (1 - floor);
}

interface Check {
  code: string;
  factor: number;
  text: string;
}

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)} %`;

function qualityChecks(s: CutoutSignals, extra: SegmenterEvidence = {}): Check[] {
  const checks: Check[] = [
    { code: 'tiny-product', factor: ramp(s.coverage, 0.02, 0.002, 0.1), text: `the product covers only ${pct(s.coverage)} of the frame` },
    { code: 'no-backdrop', factor: ramp(s.coverage, 0.8, 0.95, 0.2), text: `the product covers ${pct(s.coverage)} of the frame, little backdrop is left` },
    { code: 'fragments', factor: ramp(s.strayShare, 0.02, 0.15, 0.2), text: `${pct(s.strayShare)} of the cutout is scattered over ${s.parts} separate parts` },
    { code: 'many-parts', factor: ramp(s.parts, 3, 8, 0.5), text: `the cutout has ${s.parts} separate parts` },
    {
      code: 'touches-frame',
      factor: ramp(s.touchesFrame, 0.01, 0.1, 0.4),
      text: `the cutout runs along ${pct(s.touchesFrame)} of the frame's edge (cropped product or not a studio shot)`,
    },
    {
      code: 'thin',
      factor: ramp(s.thickness, 0.12, 0.04, 0.5),
      text: `the cutout is a thin or ragged shape (thickness ${s.thickness.toFixed(2)}), often a fragment of the product`,
    },
  ];
  if (s.studio) {
    checks.push(
      {
        code: 'edges-outside',
        factor: ramp(s.edgesOutside, 0.1, 0.3, 0.2),
        text: `strong edges outside the cutout (${s.edgesOutside.toFixed(2)} per outline pixel): part of the product is probably missing`,
      },
      {
        code: 'colour-outside',
        factor: ramp(s.colourOutside, 0.02, 0.15, 0.2),
        text: `${pct(s.colourOutside)} (of the cutout's area) of clearly non-backdrop colour left outside the cutout`,
      },
      {
        code: 'salient-outside',
        factor: ramp(s.salientRatio, 1.2, 2, 0.3),
        text: `what stands out from the backdrop spans ${s.salientRatio.toFixed(1)}× the cutout's box: the cutout is smaller than the product`,
      },
      {
        code: 'unsupported-outline',
        factor: ramp(s.unsupported, 0.1, 0.2, 0.3),
        text: `${pct(s.unsupported)} of the outline runs through flat colour, not along an edge of the photo`,
      },
      {
        code: 'shadow-inside',
        factor: ramp(s.shadowInside, 0.01, 0.04, 0.4),
        text: `${pct(s.shadowInside)} of the cutout looks like floor shadow (backdrop hue, darker, smooth)`,
      },
    );
  }
  if (extra.ambiguousOutline !== undefined) {
    checks.push({
      code: 'ambiguous-outline',
      factor: ramp(extra.ambiguousOutline, 0.5, 0.95, 0.6),
      text: `${pct(extra.ambiguousOutline)} of the outline has no colour contrast to the backdrop; the edge there is inferred`,
    });
  }
  if (extra.ambiguousArea !== undefined) {
    checks.push({
      code: 'ambiguous-area',
      factor: ramp(extra.ambiguousArea, 0.05, 0.25, 0.4),
      text: `${pct(extra.ambiguousArea)} of the cutout was a close call between product and backdrop`,
    });
  }
  if (extra.holeShare !== undefined) {
    checks.push({
      code: 'mostly-holes',
      factor: ramp(extra.holeShare, 0.2, 0.4, 0.4),
      text: `${pct(extra.holeShare)} of the area inside the product's outline was cut out as see-through (a ring or a cable coil — or glass, which this segmenter cannot keep)`,
    });
  }
  return checks;
}

/** Scores a cutout: `rgb` is the original photo (3 bytes per pixel), `alpha` the cutout's alpha, same size. */
export function assessCutout(rgb: Uint8Array, alpha: Uint8Array, width: number, height: number, extra: SegmenterEvidence = {}): CutoutQuality {
  if (rgb.length !== width * height * 3 || alpha.length !== width * height) {
    throw new RangeError(`assessCutout: expected ${width}×${height} RGB and alpha, got ${rgb.length} and ${alpha.length} bytes`);
  }
  const signals = measureCutout(rgb, alpha, width, height);
  return scoreSignals(signals, extra);
}

export function scoreSignals(signals: CutoutSignals, extra: SegmenterEvidence = {}): CutoutQuality {
  if (signals.coverage === 0) return { score: 0, reasons: ['empty-cutout: the cutout is fully transparent'] };
  const checks = qualityChecks(signals, extra);
  let score = 1;
  for (const c of checks) score *= c.factor;
  const reasons = checks
    .filter((c) => c.factor < 0.95)
    .sort((a, b) => a.factor - b.factor)
    .map((c) => `${c.code}: ${c.text}`);
  if (!signals.studio) reasons.push("not-studio: the border is not a plain backdrop, so only the cutout's shape was checked");
  return { score: Math.round(score * 1000) / 1000, reasons };
}
