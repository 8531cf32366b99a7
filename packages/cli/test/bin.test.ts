/** The real executable in a child process: argv, exit codes, stdout/stderr and SIGINT wiring. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST, writePhotos } from './support/photos.js';
import { removeDir, spawnBin, tmpDir, waitFor } from './support/cli.js';

describe('bin (child process)', () => {
  let root: string;
  beforeAll(async () => {
    root = tmpDir();
    await writePhotos(path.join(root, 'photos'), ['P-1', 'P-2', 'P-3', 'P-4']);
  });
  afterAll(() => removeDir(root));

  it('prints the version and maps an unknown flag to exit 2', async () => {
    const version = await spawnBin(['--version'], root).done;
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const bad = await spawnBin(['stats', '--nope'], root).done;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Unknown option '--nope'/);
  });

  it('Ctrl-C (SIGINT) stops gracefully with the summary and exit 130; a second run completes with exit 0', async () => {
    const data = path.join(root, 'data');
    const run = spawnBin(['process', 'photos', '--concurrency', '1', ...FAST], root, { JOBKIT_DATA_DIR: data });
    await waitFor(() => ['P-1', 'P-2', 'P-3', 'P-4'].some((s) => existsSync(path.join(data, 'storefront', s, 'manifest.json'))), 150_000);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.stderr).toMatch(/Stopping: letting in-flight steps finish/);
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/^Interrupted — summary so far:$/m);

    const again = await spawnBin(['process', 'photos', '--quiet'], root, { JOBKIT_DATA_DIR: data }).done;
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^jobs\s+4$/m);
  }, 300_000);
});
