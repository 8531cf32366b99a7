/**
 * The packages as a user gets them: every published workspace package is packed with `npm pack` and the
 * tarballs are installed into a fresh project (offline, pinned to the repository's lockfile: see
 * fixtures/packed-consumer.ts). There, every `exports` entry is loaded with import() and require() in plain
 * Node, the CLI's bin runs, and a strict consumer (`strict`, `skipLibCheck: false`) that imports every entry
 * type-checks with nodenext (ESM and CommonJS files) and with bundler resolution. Needs `npm run build` first
 * (`npm test` builds).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmInstall, packAll, publishedPackages, writeConsumer, type PackedPackage } from './fixtures/packed-consumer.js';
import { readmeLinks } from './fixtures/readme-links.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const packages = publishedPackages(root);
// Node 20.19+ can require() an ES module; older Node answers ERR_REQUIRE_ESM.
const requireEsm = (process.features as { require_module?: boolean }).require_module === true;

/** The repository file a link to the repository's main branch names (GitHub page or raw file), if it is one. */
const repositoryFile = (url: string): string | undefined =>
  /^https:\/\/(?:github\.com\/jobkit\/jobkit\/(?:blob|tree|raw)\/main|raw\.githubusercontent\.com\/jobkit\/jobkit\/main)\/([^#?]+)/.exec(url)?.[1];

type Conditions = Record<string, unknown>;
type Outcome = { names: string[] } | { error: { code: string; message: string } };
type Loaded = Record<string, { import: Outcome; require: Outcome }>;

/** Every `exports` entry of a package as [specifier, its conditions], package.json itself left out. */
const entries = (manifest: PackedPackage['manifest']): Array<[string, Conditions]> =>
  Object.entries(manifest.exports)
    .filter(([sub]) => sub !== './package.json')
    .map(([sub, cond]) => [sub === '.' ? manifest.name : `${manifest.name}/${sub.slice(2)}`, cond as Conditions]);

let work: string;
let app: string;
let packed: PackedPackage[];
let loaded: Loaded;

const run = (command: string, args: string[], nodeArgs: string[] = []) => {
  const r = spawnSync(command === 'node' ? process.execPath : command, [...nodeArgs, ...args], { cwd: app, encoding: 'utf8', timeout: 170_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
};
const load = (specifiers: string[], nodeArgs: string[] = []): Loaded => {
  const r = run('node', ['load-entries.mjs', ...specifiers], nodeArgs);
  expect(r.status, r.output).toBe(0);
  return JSON.parse(r.output) as Loaded;
};

beforeAll(() => {
  for (const p of packages) {
    const main = path.join(root, p.folder, p.manifest.main ?? 'dist/index.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run "npm run build" first`);
  }
  work = mkdtempSync(path.join(tmpdir(), 'jobkit-packed-'));
  app = path.join(work, 'app');
  mkdirSync(path.join(work, 'packs'));
  mkdirSync(path.join(app, 'src'), { recursive: true });
  packed = packAll(root, packages, path.join(work, 'packs'));
  // vitest: jobkit/testing's optional peer. @types/node: every Node TypeScript project has it.
  writeConsumer(root, app, packed, ['vitest', '@types/node']);
  npmInstall(app);

  const specifiers = packed.flatMap((p) => entries(p.manifest).map(([specifier]) => specifier));
  copyFileSync(path.join(here, 'fixtures/load-entries.mjs'), path.join(app, 'load-entries.mjs'));
  loaded = load(specifiers);

  // One file that imports every entry's types, as ESM (.mts, .ts) and as CommonJS (.cts).
  const source = [
    ...specifiers.map((s, i) => `import * as entry${i} from '${s}';`),
    `export type Entries = [${specifiers.map((_, i) => `typeof entry${i}`).join(', ')}];`,
    '',
  ].join('\n');
  for (const file of ['entries.mts', 'entries.cts', 'entries.ts']) writeFileSync(path.join(app, 'src', file), source);
  const strict = { strict: true, skipLibCheck: false, noEmit: true, target: 'es2022' };
  const tsconfig = (compilerOptions: object, files: string[]) => `${JSON.stringify({ compilerOptions: { ...strict, ...compilerOptions }, files }, null, 2)}\n`;
  writeFileSync(
    path.join(app, 'tsconfig.nodenext.json'),
    tsconfig({ module: 'nodenext', moduleResolution: 'nodenext' }, ['src/entries.mts', 'src/entries.cts']),
  );
  writeFileSync(path.join(app, 'tsconfig.bundler.json'), tsconfig({ module: 'esnext', moduleResolution: 'bundler' }, ['src/entries.ts']));
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('packed packages installed into a fresh project', () => {
  for (const { folder, manifest } of packages) {
    describe(manifest.name, () => {
      it('README.md links work on the npm page: absolute, and links into the repository name files that exist', () => {
        const readme = path.join(root, folder, 'README.md');
        expect(existsSync(readme), `${readme} is missing`).toBe(true);
        const links = readmeLinks(readFileSync(readme, 'utf8'));
        expect(links.filter((target) => !/^(https?:|mailto:|#)/.test(target))).toEqual([]);
        for (const file of links.map(repositoryFile))
          if (file) expect(existsSync(path.join(root, file)), `${file} (linked from ${folder}/README.md)`).toBe(true);
      });

      it('packs LICENSE, README.md and its builds; package.json declares the published shape', () => {
        const p = packed.find((x) => x.manifest.name === manifest.name);
        expect(p?.files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
        expect(manifest.license).toBe('MIT');
        expect(manifest.files).toEqual(expect.arrayContaining(['dist', 'LICENSE']));
        expect(manifest.sideEffects).toBe(false);
        for (const [specifier, cond] of entries(manifest)) expect(cond.import, `${specifier} must have an ESM build`).toBeDefined();
        expect((manifest.exports['.'] as Conditions).require, `${manifest.name} must have a CommonJS build`).toBeDefined();
      });

      for (const [specifier, cond] of entries(manifest)) {
        it(`${specifier}: import() and require() give the same exports`, () => {
          const got = loaded[specifier];
          expect(got?.import).toEqual({ names: expect.arrayContaining([expect.any(String)]) });
          // An ESM-only entry (no .cjs build) points its require condition at the ES module itself.
          const cjsBuild = String((cond.require as { default?: string } | undefined)?.default).endsWith('.cjs');
          if (cjsBuild || requireEsm) expect(got?.require).toEqual(got?.import);
          // ESM-only entries on a Node that cannot require() ES modules: the standard, explicit refusal.
          else expect(got?.require).toMatchObject({ error: { code: 'ERR_REQUIRE_ESM' } });
        });
      }
    });
  }

  it.runIf(requireEsm)('jobkit/testing on a Node without require(esm): require() answers ERR_REQUIRE_ESM', () => {
    const got = load(['jobkit/testing'], ['--no-experimental-require-module']);
    expect(got['jobkit/testing']?.require).toMatchObject({ error: { code: 'ERR_REQUIRE_ESM', message: expect.stringContaining('testing.js') } });
  });

  it('the CLI bin runs', () => {
    const r = run(path.join(app, 'node_modules/.bin/jobkit'), ['--help']);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('Usage: jobkit');
  });

  it('a strict consumer type-checks with moduleResolution nodenext (ESM and CommonJS files)', () => {
    expect(run('node', [tsc, '-p', 'tsconfig.nodenext.json'])).toEqual({ status: 0, output: '' });
  }, 180_000);

  it('a strict consumer type-checks with moduleResolution bundler', () => {
    expect(run('node', [tsc, '-p', 'tsconfig.bundler.json'])).toEqual({ status: 0, output: '' });
  }, 180_000);
});
