/**
 * Is OpenCV (WebAssembly, @techstark/opencv-js 4.5.2, a devDependency) worth using at runtime? Measures,
 * in one run, on a few studio-set photos (or the renders when the set is absent):
 *  1. plain grabCut (rectangle 3 % inside the frame, 5 iterations) at the segmenter's working resolution;
 *  2. grabCut as an outline refinement around this package's own decision (trimap: sure product = our mask
 *     eroded by 3 px, sure backdrop = beyond 6 px outside it, probable in between; 2 iterations);
 *  3. the primitives the segmenter uses — connected components and dilation — OpenCV against the
 *     hand-written loops (segment/components.ts, segment/morphology.ts) on the same masks.
 * IoU against ground truth, CPU ms (process.cpuUsage; the WASM runs on the calling thread).
 *
 *   npx tsx --conditions=@jobkit/source bench/segmentation/opencv-probe.ts [--photos 6]
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { decodeImage } from '@jobkit/provider-sharp';
import { labelComponents } from '../../packages/provider-sharp/src/segment/components.js';
import { dilate } from '../../packages/provider-sharp/src/segment/morphology.js';
import { resolveSegmenterOptions } from '../../packages/provider-sharp/src/segment/options.js';
import { segmentPixels } from '../../packages/provider-sharp/src/segment/segment-pixels.js';
import { loadRenders, loadStudioSet } from './eval-set.js';
import { iou } from './metrics.js';

const { values: args } = parseArgs({ options: { photos: { type: 'string', default: '6' } } });
// biome-ignore lint/suspicious/noExplicitAny: opencv-js ships loose typings; only this probe touches it.
type CV = any;
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const c0 = cpu(),
  t0 = performance.now();
// The Emscripten module is a thenable whose then() yields itself: awaiting it directly never settles, so
// wait for the runtime and hand it over wrapped.
const { cv }: { cv: CV } = await new Promise((resolve) => {
  const m = createRequire(import.meta.url)('@techstark/opencv-js') as CV;
  const poll = (): void => {
    if (m.Mat) resolve({ cv: m });
    else setTimeout(poll, 20);
  };
  poll();
});
console.log(`opencv.js loaded: ${(performance.now() - t0).toFixed(0)} ms wall, ${(cpu() - c0).toFixed(0)} ms CPU`);

const ids = [
  'white-plimsoll-side-w248',
  'white-cubes-tee-w248',
  'dark-tee-d62',
  'blue-hoodie-beige',
  'dark-mug-d75',
  'banana-bottle-w246',
  'white-hoodie-g225',
  'black-polo-d70',
];
const set = await loadStudioSet();
const photos = (set.length ? ids.map((id) => set.find((p) => p.id === id)!).filter(Boolean) : await loadRenders()).slice(0, Number(args.photos));
const opts = resolveSegmenterOptions({});
const rows: string[] = [];

for (const p of photos) {
  const bytes = await p.bytes();
  const truth = await p.truth();
  const img = await decodeImage(bytes);
  const { width: W, height: H } = img;
  // Ours.
  let c = cpu();
  const ours = segmentPixels(img, opts);
  const oursCpu = cpu() - c;
  const oursMask = new Uint8Array(W * H);
  for (let i = 0; i < oursMask.length; i++) oursMask[i] = ours.rgba[i * 4 + 3]! >= 128 ? 1 : 0;
  // Working resolution for grabCut: the same integer factor the segmenter uses.
  const f = ours.stats.factor,
    w = Math.ceil(W / f),
    h = Math.ceil(H / f);
  const small = await sharp(bytes).resize(w, h, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  const up = (m: Uint8Array): Uint8Array => {
    const o = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) o[y * W + x] = m[Math.min(h - 1, (y / f) | 0) * w + Math.min(w - 1, (x / f) | 0)]!;
    return o;
  };
  const runGrabCut = (init: Uint8Array | null, iterations: number): { mask: Uint8Array; ms: number } => {
    const src = new cv.Mat(h, w, cv.CV_8UC3);
    src.data.set(small);
    const mask = new cv.Mat(h, w, cv.CV_8UC1);
    const bgd = new cv.Mat(),
      fgd = new cv.Mat();
    const start = cpu();
    if (init) {
      mask.data.set(init);
      cv.grabCut(src, mask, new cv.Rect(0, 0, 1, 1), bgd, fgd, iterations, cv.GC_INIT_WITH_MASK);
    } else {
      const r = new cv.Rect(Math.round(w * 0.03), Math.round(h * 0.03), Math.round(w * 0.94), Math.round(h * 0.94));
      cv.grabCut(src, mask, r, bgd, fgd, iterations, cv.GC_INIT_WITH_RECT);
    }
    const ms = cpu() - start;
    const out = new Uint8Array(w * h);
    for (let i = 0; i < out.length; i++) out[i] = mask.data[i] === cv.GC_FGD || mask.data[i] === cv.GC_PR_FGD ? 1 : 0;
    for (const m of [src, mask, bgd, fgd]) m.delete();
    return { mask: out, ms };
  };
  const plain = runGrabCut(null, 5);
  // Trimap around our own decision, at working resolution.
  const oursSmall = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) oursSmall[y * w + x] = oursMask[Math.min(H - 1, y * f + (f >> 1)) * W + Math.min(W - 1, x * f + (f >> 1))]!;
  const inner = dilate(
    oursSmall.map((v) => 1 - v),
    w,
    h,
    3,
  ).map((v) => 1 - v);
  const outer = dilate(oursSmall, w, h, 6);
  const tri = new Uint8Array(w * h);
  for (let i = 0; i < tri.length; i++) tri[i] = inner[i] ? cv.GC_FGD : !outer[i] ? cv.GC_BGD : oursSmall[i] ? cv.GC_PR_FGD : cv.GC_PR_BGD;
  const refined = runGrabCut(tri, 2);

  // Primitives on the same working-resolution mask.
  c = cpu();
  for (let k = 0; k < 5; k++) labelComponents(oursSmall, w, h, 1);
  const ccJs = (cpu() - c) / 5;
  const m8 = new cv.Mat(h, w, cv.CV_8UC1);
  m8.data.set(oursSmall);
  const labels = new cv.Mat();
  c = cpu();
  for (let k = 0; k < 5; k++) cv.connectedComponents(m8, labels, 4, cv.CV_32S);
  const ccCv = (cpu() - c) / 5;
  c = cpu();
  for (let k = 0; k < 5; k++) dilate(oursSmall, w, h, 4);
  const dlJs = (cpu() - c) / 5;
  const kernel = cv.getStructuringElement(cv.MORPH_RECT, new cv.Size(9, 9));
  const dst = new cv.Mat();
  c = cpu();
  for (let k = 0; k < 5; k++) cv.dilate(m8, dst, kernel);
  const dlCv = (cpu() - c) / 5;
  for (const m of [m8, labels, kernel, dst]) m.delete();

  const row = `| ${p.id} | ${w}×${h} | ${iou(oursMask, truth.mask).toFixed(3)} / ${oursCpu.toFixed(0)} | ${iou(up(plain.mask), truth.mask).toFixed(3)} / ${plain.ms.toFixed(0)} | ${iou(up(refined.mask), truth.mask).toFixed(3)} / ${refined.ms.toFixed(0)} | ${ccJs.toFixed(1)} / ${ccCv.toFixed(1)} | ${dlJs.toFixed(1)} / ${dlCv.toFixed(1)} |`;
  rows.push(row);
  console.log(row);
}
console.log(
  '\n| photo | working res | ours: IoU / CPU ms (whole segmentation, full res) | grabCut rect, 5 it.: IoU / CPU ms | grabCut on our trimap, 2 it.: IoU / CPU ms | connected components JS / OpenCV ms | dilate r=4 JS / OpenCV ms |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
