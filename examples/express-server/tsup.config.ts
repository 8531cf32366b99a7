import { defineConfig } from 'tsup';

// The production entry: `node dist/main.js` runs the server without a TypeScript runner. Dependencies (the
// @jobkit packages included) stay external and load from their own dist/ builds (`npm run build` at the root).
export default defineConfig({
  entry: { main: 'src/main.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  outDir: 'dist',
  clean: true,
  sourcemap: true,
  dts: false,
});
