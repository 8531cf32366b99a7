import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared';

// The image pool's worker threads load dist/image-worker.{js,cjs}, found next to dist/index.{js,cjs}
// through import.meta.url (shimmed in the CJS build).
export default defineConfig(
  packageBuild({ entry: { index: 'src/index.ts', 'image-worker': 'src/pool/image-worker.ts' }, dts: { entry: { index: 'src/index.ts' } }, shims: true }),
);
