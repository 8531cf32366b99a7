/**
 * `jobkit process` and the management commands, in-process against the real embedded pipeline (SQLite,
 * local files, provider-sharp, local storefront). The tests in this file share one data directory and run
 * in order: each step builds on the state the previous one left, as an operator's session would.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST, writePhotos } from './support/photos.js';
import { json, removeDir, runCli, storefrontFiles, tmpDir } from './support/cli.js';

interface RunJson {
  counts: { total: number; done: number; skipped: number; failed: number; pending: number; rejected: number; warnings: number };
  exitCode: number;
  outDir: string;
  jobs: Array<{ id: string; sku: string; theme: string; status: string; outcome: string; errorCode: string | null; errorMessage: string | null }>;
  rejected: Array<{ source: string; severity: string; reason: string }>;
}

const SKUS = ['A-1', 'B-2', 'C-3'];

describe('jobkit process <folder> and the management commands', () => {
  let root: string;
  const cli = (args: string[]) => runCli(args, { cwd: root, env: { JOBKIT_DATA_DIR: 'data' } });
  const out = () => path.join(root, 'out');
  const allFiles = async () => (await Promise.all(SKUS.map((s) => storefrontFiles(out(), s)))).flat();

  beforeAll(async () => {
    root = tmpDir();
    await writePhotos(path.join(root, 'photos'), SKUS);
  });
  afterAll(() => removeDir(root));

  it('processes every photo to DONE, writes the storefront output and prints a summary (exit 0)', async () => {
    const r = await cli(['process', 'photos', '--theme', 'studio', '--out', 'out', ...FAST]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Summary:$/m);
    expect(r.stdout).toMatch(/^done\s+3$/m);
    expect(r.stdout).toMatch(/^failed\s+0$/m);
    expect(r.stdout).toContain(`output                  ${out()}`);
    // Non-TTY stderr: plain progress lines, the last one complete.
    expect(r.stderr).toMatch(/progress: 3\/3 done 3 failed 0 skipped 0/);
    for (const sku of SKUS) {
      expect(await storefrontFiles(out(), sku)).toEqual([expect.stringMatching(/^studio_1x1_1_[A-Za-z0-9_-]+\.jpg$/)]);
    }
    // The settings are remembered for later runs (retry).
    const remembered = JSON.parse(await fs.readFile(path.join(root, 'data', 'pipeline.json'), 'utf8'));
    expect(remembered).toEqual({ aspects: ['1x1'], size: 256, variants: 1, derivatives: false, outDir: out() });
  });

  it('re-running skips everything that is done and adds nothing to the storefront', async () => {
    const before = await allFiles();
    const r = await cli(['process', 'photos', '--theme', 'studio', '--json']);
    expect(r.code).toBe(0);
    const doc = json<RunJson>(r);
    expect(doc.counts).toMatchObject({ total: 3, done: 0, skipped: 3, failed: 0 });
    expect(doc.outDir).toBe(out());
    expect(await allFiles()).toEqual(before);
  });

  it('a file that is not an image fails its job with a clear message; the others stay done (exit 1)', async () => {
    await fs.writeFile(path.join(root, 'photos', 'BROKEN.jpg'), 'this is not a jpeg');
    await fs.writeFile(path.join(root, 'photos', 'notes.txt'), 'shot on Tuesday');
    const r = await cli(['process', 'photos', '--theme', 'studio', '--json', '--quiet']);
    expect(r.code).toBe(1);
    const doc = json<RunJson>(r);
    expect(doc.exitCode).toBe(1);
    expect(doc.counts).toMatchObject({ total: 4, done: 0, skipped: 3, failed: 1, warnings: 1 });
    const broken = doc.jobs.find((j) => j.sku === 'BROKEN')!;
    expect(broken).toMatchObject({ status: 'FAILED', outcome: 'failed', errorCode: 'INVALID_INPUT' });
    expect(broken.errorMessage).toMatch(/not a decodable image/);
    expect(r.stderr).toMatch(/ignored: notes\.txt: not an image file/);
    expect(r.stderr).not.toMatch(/progress:/);
  });

  it('human output lists the failed job with its error', async () => {
    const r = await cli(['process', 'photos', '--theme', 'studio', '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Failed jobs/);
    expect(r.stdout).toMatch(/BROKEN\s+studio\s+BROKEN\.jpg\s+INVALID_INPUT original: not a decodable image/);
  });

  it('jobs --json lists and filters jobs', async () => {
    const all = json<{ jobs: Array<{ sku: string; status: string }>; total: number; limit: number }>(await cli(['jobs', '--json']));
    expect(all.total).toBe(4);
    expect(all.limit).toBe(50);
    const failed = json<{ jobs: Array<{ sku: string; status: string }>; total: number }>(await cli(['jobs', '--status', 'failed', '--json']));
    expect(failed.jobs.map((j) => j.sku)).toEqual(['BROKEN']);
    const one = json<{ jobs: Array<{ sku: string }>; total: number }>(await cli(['jobs', '--sku', 'A-1', '--theme', 'studio', '--json']));
    expect(one).toMatchObject({ total: 1, jobs: [{ sku: 'A-1' }] });
    const paged = json<{ jobs: unknown[]; total: number; offset: number }>(await cli(['jobs', '--limit', '1', '--offset', '1', '--json']));
    expect(paged).toMatchObject({ total: 4, offset: 1 });
    expect(paged.jobs).toHaveLength(1);

    const table = await cli(['jobs']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+SKU\s+THEME\s+STATUS/m);
    expect(table.stdout).toMatch(/1–4 of 4/);

    const bad = await cli(['jobs', '--status', 'finished']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--status "finished" is not a status/);
    const badSku = await cli(['jobs', '--sku', '../etc']);
    expect(badSku.code).toBe(2);
    expect(badSku.stderr).toMatch(/sku/);
  });

  it('stats --json counts per status', async () => {
    const r = await cli(['stats', '--json']);
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ total: 4, byStatus: { DONE: 3, FAILED: 1, QUEUED: 0 }, costUsdTotal: 0, failureRate: 0.25 });
    const human = await cli(['stats']);
    expect(human.stdout).toMatch(/^DONE\s+3$/m);
    expect(human.stdout).toMatch(/^failure rate\s+25\.0 %$/m);
  });

  it('retry --all-failed re-runs failed jobs (this one fails again: exit 1); retry of a DONE or unknown job is an error', async () => {
    const r = await cli(['retry', '--all-failed', '--json', '--quiet']);
    expect(r.code).toBe(1);
    const doc = json<RunJson>(r);
    expect(doc.counts).toMatchObject({ total: 1, failed: 1 });
    expect(doc.jobs[0]).toMatchObject({ sku: 'BROKEN', errorCode: 'INVALID_INPUT' });

    const done = json<{ jobs: Array<{ id: string }> }>(await cli(['jobs', '--sku', 'A-1', '--json'])).jobs[0]!.id;
    const bad = await cli(['retry', done, 'no-such-job', '--queue-only', '--json']);
    expect(bad.code).toBe(1);
    expect(json(bad)).toMatchObject({
      retried: [],
      errors: [
        { id: done, code: 'INVALID_TRANSITION' },
        { id: 'no-such-job', code: 'NOT_FOUND' },
      ],
    });
    expect(bad.stderr).toMatch(/only FAILED jobs can be retried/);

    expect((await cli(['retry'])).code).toBe(2);
    expect((await cli(['retry', 'x', '--all-failed'])).code).toBe(2);
  });

  it('cleanup --days 0 deletes finished jobs and their objects but keeps identities and storefront output', async () => {
    const before = await allFiles();
    const r = await cli(['cleanup', '--days', '0', '--json']);
    expect(r.code).toBe(0);
    const doc = json<{ deleted: number; deletedObjects: number }>(r);
    expect(doc.deleted).toBe(4);
    expect(doc.deletedObjects).toBeGreaterThan(4);
    await expect(fs.readdir(path.join(root, 'data', 'objects', 'uploads', 'A-1'))).resolves.toEqual([]);
    expect(json<{ total: number }>(await cli(['jobs', '--json'])).total).toBe(0);
    expect(await allFiles()).toEqual(before);

    // The identities remain: the same photos are recognised as done.
    await fs.rm(path.join(root, 'photos', 'BROKEN.jpg'));
    const again = await cli(['process', 'photos', '--theme', 'studio', '--json', '--quiet']);
    expect(again.code).toBe(0);
    expect(json<RunJson>(again).counts).toMatchObject({ skipped: 3, done: 0 });
    expect(await allFiles()).toEqual(before);
  });

  it('cleanup --forget-identities lets the same photos be processed again', async () => {
    const r = await cli(['cleanup', '--days', '0', '--forget-identities']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Deleted 4 jobs and 0 objects \(identities forgotten\)\.$/m);
    const again = await cli(['process', 'photos', '--theme', 'studio', '--json', '--quiet']);
    expect(again.code).toBe(0);
    expect(json<RunJson>(again).counts).toMatchObject({ done: 3, skipped: 0 });
    expect((await allFiles()).length).toBe(6);
    expect((await cli(['cleanup'])).code).toBe(2);
  });

  it('migrate prints the schema version; on a new data dir it creates the database', async () => {
    const existing = await cli(['migrate', '--json']);
    expect(existing.code).toBe(0);
    expect(json(existing)).toMatchObject({ schemaVersion: expect.any(Number), applied: [] });
    const fresh = await runCli(['migrate', '--data-dir', 'fresh'], { cwd: root, env: {} });
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toMatch(/fresh[/\\]jobs\.db: schema version 0 → \d+ \(applied 1/);
    await expect(fs.stat(path.join(root, 'fresh', 'jobs.db'))).resolves.toBeTruthy();
  });

  it('several themes make one job per photo and theme', async () => {
    const r = await cli(['process', 'photos', '--theme', 'studio,warm', '--json', '--quiet']);
    expect(r.code).toBe(0);
    const doc = json<RunJson>(r);
    expect(doc.counts).toMatchObject({ total: 6, skipped: 3, done: 3 });
    expect(
      doc.jobs
        .filter((j) => j.theme === 'warm')
        .map((j) => j.sku)
        .sort(),
    ).toEqual(SKUS);
  });
});
