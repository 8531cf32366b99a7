/**
 * Writes the procedural renders (catalogue.ts) as JPEG + ground-truth PNG with a manifest:
 *
 *   npx tsx bench/segmentation/renders/make-renders.ts             # benchmark set (800×600)
 *   npx tsx bench/segmentation/renders/make-renders.ts --fixtures  # test fixtures (480×360), committed
 *
 * Output: bench/segmentation/renders/out/ or packages/provider-sharp/test/fixtures/studio/, each with
 * {photos,masks}/<id>.{jpg,png} and manifest.json (same layout as the studio set's). Deterministic for a
 * given sharp/librsvg version.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { RENDERS } from './catalogue.js';
import { renderStudioShot } from './scenes.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = process.argv.includes('--fixtures');
const out = fixtures ? join(here, '../../../packages/provider-sharp/test/fixtures/studio') : join(here, 'out');
/** The test suite's subset: one per hard category, small enough to segment in well under a second. */
const FIXTURE_IDS = [
  'r-white-bottle-w',
  'r-grey-box-w',
  'r-headphones-d',
  'r-tote-black-d',
  'r-tote-canvas-w',
  'r-backpack-w',
  'r-gold-ring-w',
  'r-notebook-flat-w',
];
const specs = fixtures
  ? RENDERS.filter((s) => FIXTURE_IDS.includes(s.id)).map((s) => ({ ...s, width: Math.round(s.width * 0.6), height: Math.round(s.height * 0.6) }))
  : RENDERS;
await mkdir(join(out, 'photos'), { recursive: true });
await mkdir(join(out, 'masks'), { recursive: true });
const images = [];
for (const spec of specs) {
  const r = await renderStudioShot(spec);
  await writeFile(join(out, 'photos', `${spec.id}.jpg`), r.jpeg);
  const mask = Buffer.alloc(r.mask.length);
  for (let i = 0; i < mask.length; i++) mask[i] = r.mask[i]! ? 255 : 0;
  await sharp(mask, { raw: { width: r.width, height: r.height, channels: 1 } })
    .png({ compressionLevel: 9, palette: true })
    .toFile(join(out, 'masks', `${spec.id}.png`));
  images.push({
    id: spec.id,
    file: `photos/${spec.id}.jpg`,
    mask: `masks/${spec.id}.png`,
    width: r.width,
    height: r.height,
    categories: spec.categories,
    backdrop_rgb: spec.backdrop,
    backdrop_falloff: spec.falloff,
    shadow_kind: spec.shadow,
    shadow_strength: spec.shadowStrength,
    noise_sigma: spec.noise,
    jpeg_quality: spec.jpegQuality,
    source: { generator: 'bench/segmentation/renders/catalogue.ts', seed: spec.seed },
    licence: 'MIT',
  });
  console.log(spec.id, `${(r.jpeg.length / 1024).toFixed(0)} KB`);
}
await writeFile(
  join(out, 'manifest.json'),
  `${JSON.stringify({ name: 'jobkit procedural renders', version: 1, mask_rule: 'mask = 255 where the product (its silhouette for glass) is opaque ≥ 128', images }, null, 2)}\n`,
);
