/**
 * Regenerates the sample INPUT photos of the reference server (examples/express-server/samples/*.jpg):
 * synthetic products on light-box backdrops, named by SKU. `npm run demo` sends them through the pipeline.
 *
 *   npx tsx --conditions=@jobkit/source packages/provider-sharp/scripts/generate-samples.ts [outDir]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SAMPLE_PHOTOS, renderScene } from '../test/fixtures/synthetic.js';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(process.argv[2] ?? join(here, '../../../examples/express-server/samples'));
await mkdir(outDir, { recursive: true });
for (const sample of SAMPLE_PHOTOS) {
  const scene = await renderScene(sample.scene);
  const file = join(outDir, `${sample.sku}.jpg`);
  await writeFile(file, scene.jpeg);
  console.log(`${file}  ${(scene.jpeg.length / 1024).toFixed(0)} KB  ${sample.description}`);
}
