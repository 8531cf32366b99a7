/**
 * The floor of the pipeline benchmark, run in a child process of bench/pipeline/run.ts: bare sharp doing
 * only the work no pipeline can avoid — decode each photo once, then for every aspect resize it once and
 * encode the same outputs the compositor writes by default (per variant a master JPEG and a thumbnail,
 * same sizes and encoder settings: jpegOptions of the compositor) — with as many photos at once as there are cores. No segmentation, no
 * backgrounds, no blending. Prints one JSON line: photos, CPU µs (all threads), wall ms.
 *
 *   node --conditions=@jobkit/source --import tsx bench/pipeline/floor.ts --concurrency 2 photo.jpg …
 *
 * With --segment-only it measures, for attribution, what the studio segmenter alone costs on the same
 * photos (decode + segmentPixels + cutout PNG, one photo at a time on the calling thread).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { DEFAULT_ASPECTS, DEFAULT_CUTOUT_PNG_LEVEL, encodeCutout, segmentPhoto } from '@jobkit/provider-sharp';
import { jpegOptions } from '../../packages/provider-sharp/src/composite/render-composites.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { concurrency: { type: 'string', default: '2' }, variants: { type: 'string', default: '2' }, 'segment-only': { type: 'boolean', default: false } },
});
const concurrency = values['segment-only'] ? 1 : Number(values.concurrency);
const variants = Number(values.variants);

async function segmentOnly(file: string): Promise<number> {
  await encodeCutout(await segmentPhoto(await readFile(file)), DEFAULT_CUTOUT_PNG_LEVEL);
  return 1;
}

async function photo(file: string): Promise<number> {
  if (values['segment-only']) return segmentOnly(file);
  const bytes = await readFile(file);
  const { data, info } = await sharp(bytes).rotate().toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let outputs = 0;
  for (const a of DEFAULT_ASPECTS) {
    const canvas = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
      .resize(a.width, a.height, { fit: 'cover' })
      .raw()
      .toBuffer();
    const raw = { raw: { width: a.width, height: a.height, channels: 3 as const } };
    for (let v = 0; v < variants; v++) {
      const out = await Promise.all([
        sharp(canvas, raw).jpeg(jpegOptions('master', 90)).toBuffer(),
        sharp(canvas, raw).resize(400, 400, { fit: 'inside' }).jpeg(jpegOptions('thumbnail', 82)).toBuffer(),
      ]);
      outputs += out.length;
    }
  }
  return outputs;
}

const cpu0 = process.cpuUsage();
const t0 = performance.now();
let next = 0;
let outputs = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < positionals.length) outputs += await photo(positionals[next++]!);
  }),
);
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ photos: positionals.length, outputs, cpuUs: cpu.user + cpu.system, wallMs: performance.now() - t0 }));
