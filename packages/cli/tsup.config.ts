import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared';

// Two builds run in parallel, so neither cleans dist/ (the package's build script does, first).
export default defineConfig([
  // The library entry (main(argv, io) for wrappers and tests): ESM + CJS + types.
  packageBuild({ clean: false }),
  // The executable: ESM only; esbuild keeps the source's `#!/usr/bin/env node` line.
  packageBuild({ entry: ['src/bin.ts'], format: ['esm'], dts: false, clean: false }),
]);
