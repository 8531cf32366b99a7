import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    target: 'node20',
    // nanoid 5 is ESM-only: bundle it so the CommonJS build can be require()d.
    noExternal: ['nanoid'],
  },
  {
    // jobkit/testing imports vitest, which is ESM-only: so is this entry. It imports the core by its
    // package name, so the conformance suites and fakes share one copy of JobkitError with the user's code.
    entry: ['src/testing.ts'],
    format: ['esm'],
    dts: true,
    sourcemap: true,
    target: 'node20',
    external: ['jobkit', 'vitest'],
    noExternal: ['nanoid'],
  },
]);
