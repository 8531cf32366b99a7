/**
 * Proves the published shape of every workspace package: each `exports` entry can be loaded from the
 * built `dist/` with `import`, and with `require()` where a CommonJS build is declared. Runs in a plain
 * Node process (no source condition), as a user's application would. `npm test` builds first.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const packages = readdirSync(path.join(root, 'packages'))
  .map((dir) => path.join(root, 'packages', dir))
  .filter((dir) => existsSync(path.join(dir, 'src/index.ts')));

type Conditions = { import?: { default: string }; require?: { default: string } };

describe('built packages load with import and require', () => {
  for (const dir of packages) {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string; exports: Record<string, Conditions | string>; files?: string[]; sideEffects?: boolean };
    it(`${pkg.name}`, () => {
      expect(pkg.files).toContain('dist');
      expect(pkg.sideEffects).toBe(false);
      for (const [sub, cond] of Object.entries(pkg.exports)) {
        if (typeof cond === 'string') continue;
        const specifier = sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`;
        for (const kind of ['import', 'require'] as const) {
          const target = cond[kind]?.default;
          if (!target) continue;
          const file = path.join(dir, target);
          expect(existsSync(file), `${file} is missing: run "npm run build" first`).toBe(true);
          const script =
            kind === 'import'
              ? `import(${JSON.stringify(specifier)}).then((m) => { if (Object.keys(m).length === 0) process.exit(3); })`
              : `const m = require(${JSON.stringify(specifier)}); if (Object.keys(m).length === 0) process.exit(3);`;
          execFileSync(process.execPath, ['-e', script], { cwd: root, stdio: 'pipe', timeout: 30_000 });
        }
        expect(cond.import, `${specifier} must have an ESM build`).toBeDefined();
      }
      // The main entry must also work from CommonJS.
      expect((pkg.exports['.'] as Conditions).require, `${pkg.name} must have a CommonJS build`).toBeDefined();
    });
  }
});
