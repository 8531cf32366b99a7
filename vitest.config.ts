import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import SummaryReporter from './test-support/summary-reporter';

// One vitest project per workspace package; tests import sibling packages from their TypeScript source
// through the "@jobkit/source" export condition, so no build is needed to run them.
const dirs = [
  ...['packages', 'examples'].flatMap((root) =>
    readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(`${root}/${d.name}/test`))
      .map((d) => `${root}/${d.name}`),
  ),
  'integration',
];

export default defineConfig({
  ssr: { resolve: { conditions: ['@jobkit/source'] } },
  resolve: { conditions: ['@jobkit/source'] },
  test: {
    projects: dirs.map((dir) => ({
      extends: true,
      test: {
        name: dir.split('/')[1] ?? dir,
        root: dir,
        include: ['test/**/*.test.ts'],
        testTimeout: 60_000,
        hookTimeout: 60_000,
      },
    })),
    globalSetup: [fileURLToPath(new URL('./test-support/global-setup.ts', import.meta.url))],
    pool: 'forks',
    reporters: ['default', new SummaryReporter()],
  },
});
