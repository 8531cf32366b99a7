/**
 * The build every adapter package shares: ESM + CJS + d.ts for Node 20 (packages/jobkit and packages/cli
 * add their own entries on top). Adapters import the core by its package name, so it stays external.
 */
import type { Options } from 'tsup';

export function packageBuild(overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    ...overrides,
  };
}
