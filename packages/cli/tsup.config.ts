import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library entry (main(argv, io) for wrappers and tests): ESM + CJS + types.
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    // nanoid 5 is ESM-only: bundle it so the CommonJS build can be require()d.
    noExternal: ['nanoid'],
  },
  {
    // The executable: ESM only; esbuild keeps the source's `#!/usr/bin/env node` line.
    entry: ['src/bin.ts'],
    format: ['esm'],
    dts: false,
    sourcemap: true,
    target: 'node20',
    noExternal: ['nanoid'],
  },
]);
