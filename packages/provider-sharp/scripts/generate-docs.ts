/**
 * Renders the README's sample outputs (docs/provider-sharp/*.jpg, 600 px wide) from the example server's
 * sample inputs through the real segmenter, background generator and compositor.
 *
 *   npx tsx --conditions=@jobkit/source packages/provider-sharp/scripts/generate-docs.ts
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { silentLogger, systemClock, type ImageSource, type ProviderContext } from 'jobkit';
import { createSharpProviders } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const outDir = join(root, 'docs/provider-sharp');
await mkdir(outDir, { recursive: true });

const { segmenter, backgroundGenerator, compositor } = createSharpProviders({ compositor: { derivatives: false } });
const source = (key: string, bytes: Buffer): ImageSource => ({ key, contentType: 'image/jpeg', bytes: async () => bytes, publicUrl: async () => null });
const ctx = (sku: string, theme: string): ProviderContext => ({
  jobId: 'docs',
  sku,
  theme,
  signal: new AbortController().signal,
  logger: silentLogger,
  clock: systemClock,
  previousRef: null,
  recordRef: async () => {},
});

const picks = [
  { sku: 'MUG-001', theme: 'studio', aspect: '1x1', variant: 1 },
  { sku: 'BOTTLE-001', theme: 'warm', aspect: '4x5', variant: 2 },
  { sku: 'BOX-001', theme: 'default', aspect: '1x1', variant: 1 },
  { sku: 'DONUT-001', theme: 'slate', aspect: '16x9', variant: 1 },
];
for (const p of picks) {
  const original = await readFile(join(root, 'examples/express-server/samples', `${p.sku}.jpg`));
  const sha256 = createHash('sha256').update(original).digest('hex');
  const seg = await segmenter.segment({ sku: p.sku, sha256, original: source('o.jpg', original) }, ctx(p.sku, p.theme));
  if (!('cutout' in seg)) throw new Error('unexpected pending result');
  const size = compositor.backgroundSize();
  const bg = await backgroundGenerator.generate(
    { sku: p.sku, sha256, theme: p.theme, count: compositor.variants, ...size, cutout: source('c.png', seg.cutout) },
    ctx(p.sku, p.theme),
  );
  if (!('backgrounds' in bg)) throw new Error('unexpected pending result');
  const { outputs } = await compositor.composite(
    { photo: { sku: p.sku, sha256, theme: p.theme }, cutout: seg.cutout, backgrounds: bg.backgrounds },
    { signal: new AbortController().signal, logger: silentLogger },
  );
  const master = outputs.find((o) => o.role === 'master' && o.aspect === p.aspect && o.variant === p.variant)!;
  const small = await sharp(master.bytes).resize({ width: 600 }).jpeg({ quality: 84, mozjpeg: true }).toBuffer();
  const file = join(outDir, `${p.sku}_${p.theme}_${p.aspect}.jpg`);
  await writeFile(file, small);
  // The cutout on a checkerboard shows the mask edges.
  const meta = await sharp(seg.cutout).metadata();
  const w = meta.width!,
    h = meta.height!;
  const board = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) board.fill(((x >> 5) + (y >> 5)) % 2 ? 204 : 255, (y * w + x) * 3, (y * w + x) * 3 + 3);
  const checker = await sharp(board, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toBuffer();
  const cutoutView = await sharp(
    await sharp(checker)
      .composite([{ input: seg.cutout }])
      .png()
      .toBuffer(),
  )
    .resize({ width: 300 })
    .jpeg({ quality: 84, mozjpeg: true })
    .toBuffer();
  await writeFile(join(outDir, `${p.sku}_cutout.jpg`), cutoutView);
  const input = await sharp(original).resize({ width: 300 }).jpeg({ quality: 84, mozjpeg: true }).toBuffer();
  await writeFile(join(outDir, `${p.sku}_input.jpg`), input);
  console.log(`${file} ${(small.length / 1024).toFixed(0)} KB`);
}
