/**
 * Segmentation benchmark: the studio segmenter against the 0.1 algorithm (bench/segmentation/baseline/) in
 * the same run, on the labelled studio set and this repository's procedural renders.
 *
 *   npx tsx --conditions=@jobkit/source bench/segmentation/run.ts [--only id,id] [--no-write] [--no-12mp]
 *
 * The studio set is kept outside the repository (JOBKIT_EVAL_DIR; see bench/segmentation/README.md);
 * without it only the renders run, and the report says so. Per photo and per category: IoU, boundary F-score (2 px), whether enclosed holes stay
 * background, the quality gate's score (held = below DEFAULT_REVIEW_MIN_SCORE), CPU and wall ms per MP.
 * Then CPU ms/MP on 12 MP (4000×3000) versions of a few photos. Writes bench/results/segmentation.md.
 */
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { DEFAULT_REVIEW_MIN_SCORE, type CutoutQuality } from 'jobkit';
import { decodeImage, type DecodedImage } from '@jobkit/provider-sharp';
import { assessCutout } from '../../packages/provider-sharp/src/quality/assess-cutout.js';
import { resolveSegmenterOptions } from '../../packages/provider-sharp/src/segment/options.js';
import { segmentPixels } from '../../packages/provider-sharp/src/segment/segment-pixels.js';
import { BASELINE_OPTIONS } from './baseline/options.js';
import { segmentPixels as segmentBaseline } from './baseline/segment-pixels.js';
import { loadRenders, loadStudioSet, REPO_ROOT, studioSetDir, type EvalPhoto } from './eval-set.js';
import { boundaryF, checkHoles, iou } from './metrics.js';

const { values: args } = parseArgs({
  options: { only: { type: 'string' }, 'no-write': { type: 'boolean', default: false }, 'no-12mp': { type: 'boolean', default: false } },
});
const only = args.only?.split(',');
const OPTS = resolveSegmenterOptions({});

interface Cut {
  alpha: Uint8Array | null;
  error: string | null;
  quality: CutoutQuality | null;
  cpuMs: number;
  wallMs: number;
}
interface Row {
  photo: EvalPhoto;
  mp: number;
  holes: number;
  result: Record<Algo, Cut & { iou: number; bf: number; holesKept: number }>;
}
type Algo = 'new' | 'base';

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function run(algo: Algo, img: DecodedImage): Cut {
  const c0 = cpuNow(),
    t0 = performance.now();
  try {
    const cut = algo === 'new' ? segmentPixels(img, OPTS) : segmentBaseline(img, BASELINE_OPTIONS);
    const cpuMs = cpuNow() - c0,
      wallMs = performance.now() - t0;
    const alpha = new Uint8Array(img.width * img.height);
    for (let i = 0; i < alpha.length; i++) alpha[i] = cut.rgba[i * 4 + 3]!;
    // The new segmenter scores itself; the 0.1 cut is scored by the same gate a hosted cut would get.
    const quality = algo === 'new' ? (cut as { quality: CutoutQuality }).quality : assessCutout(img.rgb, alpha, img.width, img.height);
    return { alpha, error: null, quality, cpuMs, wallMs };
  } catch (err) {
    return { alpha: null, error: (err as Error).message, quality: null, cpuMs: cpuNow() - c0, wallMs: performance.now() - t0 };
  }
}

const photos = [...(await loadStudioSet()), ...(await loadRenders())].filter((p) => !only || only.some((o) => p.id.includes(o)));
const rows: Row[] = [];
for (const photo of photos) {
  const img = await decodeImage(await photo.bytes());
  const truth = await photo.truth();
  const result = {} as Row['result'];
  let holes = 0;
  for (const algo of ['base', 'new'] as const) {
    const cut = run(algo, img);
    const pred = new Uint8Array(truth.mask.length);
    if (cut.alpha) for (let i = 0; i < pred.length; i++) pred[i] = cut.alpha[i]! >= 128 ? 1 : 0;
    const h = checkHoles(pred, truth.mask, img.width, img.height);
    holes = h.holes;
    result[algo] = { ...cut, alpha: null, iou: iou(pred, truth.mask), bf: boundaryF(pred, truth.mask, img.width, img.height, 2), holesKept: h.kept };
  }
  rows.push({ photo, mp: (img.width * img.height) / 1e6, holes, result });
  const n = result.new,
    b = result.base;
  console.log(
    `${photo.id.padEnd(30)} IoU ${b.iou.toFixed(3)} → ${n.iou.toFixed(3)}  BF ${b.bf.toFixed(3)} → ${n.bf.toFixed(3)}  score ${n.quality?.score.toFixed(2) ?? 'refused'}  CPU ${(n.cpuMs / ((img.width * img.height) / 1e6)).toFixed(0)} ms/MP`,
  );
}

// --- 12 MP: CPU per megapixel on camera-size photos (4000×3000 upscales of a few set photos) --------------
interface Big {
  id: string;
  decodeCpu: number;
  base: number;
  new: number;
}
const big: Big[] = [];
if (!args['no-12mp']) {
  const picks = rows
    .filter((r) => r.photo.set === 'studio-set')
    .slice(0, 4)
    .map((r) => r.photo);
  for (const p of picks.length ? picks : rows.slice(0, 2).map((r) => r.photo)) {
    const src = await p.bytes();
    const meta = await sharp(src).metadata();
    const [W, H] = (meta.width ?? 1) >= (meta.height ?? 1) ? [4000, 3000] : [3000, 4000];
    const jpeg = await sharp(src).resize(W, H, { fit: 'fill', kernel: 'lanczos3' }).jpeg({ quality: 90 }).toBuffer();
    const c0 = cpuNow();
    const img = await decodeImage(jpeg);
    const decodeCpu = cpuNow() - c0; // includes libvips threads: the decode every pipeline pays once anyway
    const b = run('base', img),
      n = run('new', img);
    big.push({ id: p.id, decodeCpu: decodeCpu / 12, base: b.cpuMs / 12, new: n.cpuMs / 12 });
    console.log(`12 MP ${p.id}: CPU ms/MP base ${(b.cpuMs / 12).toFixed(0)}, new ${(n.cpuMs / 12).toFixed(0)} (decode ${(decodeCpu / 12).toFixed(0)})`);
  }
}

// --- report ---------------------------------------------------------------------------------------------
const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};
const held = (c: Cut): boolean => !c.quality || c.quality.score < DEFAULT_REVIEW_MIN_SCORE;
const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '–');
const f0 = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : '–');

function summary(
  rs: Row[],
  algo: Algo,
): { iou: number; bf: number; held: number; badPassed: number; goodHeld: number; good: number; cpu: number; wall: number; holes: string } {
  const cs = rs.map((r) => r.result[algo]);
  const good = cs.filter((c) => c.iou >= 0.95);
  const holesTotal = rs.reduce((a, r) => a + r.holes, 0);
  return {
    iou: mean(cs.map((c) => c.iou)),
    bf: mean(cs.map((c) => c.bf)),
    held: cs.filter(held).length,
    badPassed: cs.filter((c) => c.iou < 0.85 && !held(c)).length,
    goodHeld: good.filter(held).length,
    good: good.length,
    cpu: median(rs.map((r) => r.result[algo].cpuMs / r.mp)),
    wall: median(rs.map((r) => r.result[algo].wallMs / r.mp)),
    holes: holesTotal ? `${rs.reduce((a, r) => a + r.result[algo].holesKept, 0)}/${holesTotal}` : '–',
  };
}

const lines: string[] = [];
const out = (s = ''): void => {
  lines.push(s);
};
const evalDir = studioSetDir();
out('# Segmentation benchmark');
out();
out('Command (from the repository root):');
out();
out('```');
out('npx tsx --conditions=@jobkit/source bench/segmentation/run.ts');
out('```');
out();
out(
  `Machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}; load average at the end ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (shared machine: wall times are inflated, CPU times less so; compare the two algorithms of the same run).`,
);
out();
out(
  `Photos: ${evalDir ? `the labelled studio set (${rows.filter((r) => r.photo.set === 'studio-set').length} photos: real product cut-outs from Saleor's BSD-3-Clause sample data on synthetic studio backdrops with ground-truth masks; see bench/segmentation/README.md)` : '**studio set not found** (set JOBKIT_EVAL_DIR) — renders only'} and ${rows.filter((r) => r.photo.set === 'renders').length} procedural renders (bench/segmentation/renders, MIT). "0.1" is the released algorithm (bench/segmentation/baseline), "new" the current one. IoU and boundary F (2 px tolerance) against alpha ≥ 128; **held** = the quality gate scores below ${DEFAULT_REVIEW_MIN_SCORE} (or the segmenter refused the photo): such a cut waits in REVIEW or goes to the hosted segmenter. The 0.1 cuts are scored by the same gate (assessCutout) a hosted segmenter's cut gets.`,
);
out();
out('## Targets');
out();
const all = summary(rows, 'new');
const set = rows.filter((r) => r.photo.set === 'studio-set');
const setNew = set.length ? summary(set, 'new') : null;
out('| target | result |');
out('|---|---|');
out(`| mean IoU ≥ 0.93 (studio set) | ${setNew ? f3(setNew.iou) : '–'} (all photos incl. renders: ${f3(all.iou)}) |`);
out(`| no cut with IoU < 0.85 passes the gate | ${all.badPassed} passed |`);
out(`| ≤ 10 % of cuts with IoU ≥ 0.95 held | ${all.goodHeld} of ${all.good} held (${f0((100 * all.goodHeld) / Math.max(1, all.good))} %) |`);
out(
  `| ≤ 150 CPU ms/MP | median ${f0(all.cpu)} ms/MP on these photos (${rows.length ? `${f3(median(rows.map((r) => r.mp)))} MP` : ''} median size); 12 MP: ${big.length ? `${f0(median(big.map((b) => b.new)))} ms/MP` : 'not run'} |`,
);
out();
out('## By category (0.1 → new)');
out();
out('A photo counts in every category it is tagged with.');
out();
out('| category | photos | IoU 0.1 | IoU new | BF 0.1 | BF new | held 0.1 | held new | IoU<0.85 passed (new) | holes kept 0.1 | holes kept new |');
out('|---|---|---|---|---|---|---|---|---|---|---|');
const cats = [...new Set(rows.flatMap((r) => r.photo.categories))].sort();
const catRow = (name: string, rs: Row[]): void => {
  const b = summary(rs, 'base'),
    n = summary(rs, 'new');
  out(
    `| ${name} | ${rs.length} | ${f3(b.iou)} | ${f3(n.iou)} | ${f3(b.bf)} | ${f3(n.bf)} | ${b.held} | ${n.held} | ${n.badPassed} | ${b.holes} | ${n.holes} |`,
  );
};
catRow('**all**', rows);
if (set.length) catRow('**studio set**', set);
catRow(
  '**renders**',
  rows.filter((r) => r.photo.set === 'renders'),
);
for (const c of cats)
  catRow(
    c,
    rows.filter((r) => r.photo.categories.includes(c)),
  );
out();
out('## Worst 5 (new)');
out();
out('| photo | IoU | BF | score | reasons |');
out('|---|---|---|---|---|');
for (const r of [...rows].sort((a, b) => a.result.new.iou - b.result.new.iou).slice(0, 5)) {
  const n = r.result.new;
  out(
    `| ${r.photo.id} | ${f3(n.iou)} | ${f3(n.bf)} | ${n.quality ? n.quality.score.toFixed(2) : `refused: ${n.error}`} | ${n.quality?.reasons.map((x) => x.split(':')[0]).join(', ') ?? ''} |`,
  );
}
out();
out('## Speed');
out();
out(
  `segmentPixels only (decoded pixels in, RGBA + quality out; decode and PNG encode not included), one thread. Medians over the photos above: new ${f0(all.cpu)} CPU ms/MP (${f0(all.wall)} wall), 0.1 ${f0(summary(rows, 'base').cpu)} CPU ms/MP (${f0(summary(rows, 'base').wall)} wall).`,
);
out();
if (big.length) {
  out(
    'Camera-size photos: the same photos resized to 4000×3000 (12 MP) JPEG q90. Decoding (sharp, all its threads) is listed for scale; every pipeline pays it once.',
  );
  out();
  out('| photo (12 MP) | decode CPU ms/MP | 0.1 CPU ms/MP | new CPU ms/MP |');
  out('|---|---|---|---|');
  for (const b of big) out(`| ${b.id} | ${f0(b.decodeCpu)} | ${f0(b.base)} | ${f0(b.new)} |`);
  out();
}
out('## Per photo');
out();
out('| photo | set | MP | IoU 0.1 | IoU new | BF 0.1 | BF new | holes kept (new) | score 0.1 | score new | CPU ms/MP new | reasons (new) |');
out('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const b = r.result.base,
    n = r.result.new;
  const sc = (c: Cut): string => (c.quality ? c.quality.score.toFixed(2) : 'refused');
  out(
    `| ${r.photo.id} | ${r.photo.set} | ${r.mp.toFixed(2)} | ${f3(b.iou)} | ${f3(n.iou)} | ${f3(b.bf)} | ${f3(n.bf)} | ${r.holes ? `${n.holesKept}/${r.holes}` : '–'} | ${sc(b)} | ${sc(n)} | ${f0(n.cpuMs / r.mp)} | ${n.quality?.reasons.map((x) => x.split(':')[0]).join(', ') ?? n.error ?? ''} |`,
  );
}
const md = `${lines.join('\n')}\n`;
if (!args['no-write'] && !only) {
  await writeFile(join(REPO_ROOT, 'bench/results/segmentation.md'), md);
  console.log('wrote bench/results/segmentation.md');
} else {
  console.log(md);
}
