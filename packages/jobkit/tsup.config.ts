import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared';

// Two builds run in parallel, so neither cleans dist/ (the package's build script does, first).
export default defineConfig([
  // nanoid 5 is ESM-only: bundle it so the CommonJS build can be require()d.
  packageBuild({ clean: false, noExternal: ['nanoid'] }),
  // jobkit/testing imports vitest, which is ESM-only: so is this entry. It imports the core by its package
  // name, so the conformance suites and fakes share one copy of JobkitError with the user's code.
  packageBuild({ entry: ['src/testing.ts'], format: ['esm'], clean: false, external: ['jobkit', 'vitest'], noExternal: ['nanoid'] }),
]);
