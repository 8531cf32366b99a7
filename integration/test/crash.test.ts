/**
 * Crash recovery: a worker in a child process is killed with SIGKILL mid-pipeline; a new worker finishes
 * every job, the storefront holds exactly one media item per output, and no step whose output was
 * already stored ran again.
 */
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { keys } from 'jobkit';
import { createRuntime } from './fixtures/pipeline-runtime.js';
import { productPhoto } from '../../test-support/photos.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dataDir = mkdtempSync(path.join(tmpdir(), 'jobkit-crash-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const readLog = () => (existsSync(path.join(dataDir, 'calls.log')) ? readFileSync(path.join(dataDir, 'calls.log'), 'utf8').trim().split('\n') : []);

describe('crash recovery across processes', () => {
  it('SIGKILL mid-step: a new worker finishes every job without redoing stored steps or duplicating media', async () => {
    // Jobs are created up front through the service (uploaded originals: no network needed).
    const setup = createRuntime(dataDir, { phase: 'setup' });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const p = await productPhoto(i, 512);
      const key = `uploads/CRASH-${i}/${p.sha256}.jpg`;
      await setup.objects.put(key, p.bytes);
      for (const theme of ['default', 'studio']) {
        ids.push((await setup.service.createJob({ sku: `CRASH-${i}`, sha256: p.sha256, originalKey: key, theme, autoStart: true })).job.id);
      }
    }
    await setup.store.close();
    writeFileSync(path.join(dataDir, 'calls.log'), '');

    const child = fork(path.join(here, 'fixtures/crash-worker.ts'), [dataDir], {
      execArgv: ['--conditions=@jobkit/source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    // Kill it while it is in the middle of the pipeline: some jobs composited, others not.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const lines = readLog();
      if (lines.filter((l) => l.startsWith('child done composite')).length >= 2 && lines.some((l) => l.startsWith('child call'))) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const childLines = readLog();
    expect(childLines.some((l) => l.startsWith('child done composite'))).toBe(true);

    // What was stored when the child died.
    const rt = createRuntime(dataDir, { phase: 'parent' });
    const before = new Map<string, { mask: boolean; backgrounds: boolean; composites: boolean }>();
    for (const id of ids) {
      const job = (await rt.service.getJob(id))!;
      const bgKeys = [1, 2].map((n) => keys.background(job, n));
      const plan = rt.compositor.plan?.(job) ?? [];
      before.set(id, {
        mask: await rt.objects.exists(keys.mask(job)),
        backgrounds: (await Promise.all(bgKeys.map((k) => rt.objects.exists(k)))).every(Boolean),
        composites: plan.length > 0 && (await Promise.all(plan.map((o) => rt.objects.exists(o.key)))).every(Boolean),
      });
    }
    expect([...before.values()].some((b) => b.mask)).toBe(true);

    // The new worker waits out the dead worker's leases (2 s) and finishes everything.
    rt.worker.start();
    const end = Date.now() + 90_000;
    while (Date.now() < end) {
      const jobs = await Promise.all(ids.map((id) => rt.service.getJob(id)));
      if (jobs.every((j) => j!.status === 'DONE' || j!.status === 'FAILED')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await rt.worker.stop({ timeoutMs: 10_000 });

    const parentLines = readLog().filter((l) => l.startsWith('parent call'));
    for (const id of ids) {
      const job = (await rt.service.getJob(id))!;
      expect(job.status, `${id}: ${job.errorCode} ${job.errorMessage}`).toBe('DONE');
      const b = before.get(id)!;
      if (b.mask)
        expect(
          parentLines.filter((l) => l === `parent call segment ${id}`),
          `segment re-ran for ${id}`,
        ).toEqual([]);
      if (b.backgrounds)
        expect(
          parentLines.filter((l) => l === `parent call backgrounds ${id}`),
          `backgrounds re-ran for ${id}`,
        ).toEqual([]);
      if (b.composites)
        expect(
          parentLines.filter((l) => l === `parent call composite ${job.theme}/${job.sku}`),
          `composite re-ran for ${id}`,
        ).toEqual([]);
    }
    // Exactly one storefront media item per composite master, across both processes.
    for (let i = 0; i < 4; i++) {
      const sku = `CRASH-${i}`;
      const jobs = await Promise.all(ids.map((id) => rt.service.getJob(id)));
      const expected = jobs.filter((j) => j!.sku === sku).reduce((n, j) => n + j!.compositeKeys.length, 0);
      const items = await rt.localStorefront.list(sku);
      expect(items).toHaveLength(expected);
      expect(new Set(items.map((m) => m.marker)).size).toBe(expected);
    }
    // Each photo was segmented at most once per process that had no mask yet.
    const segments = readLog().filter((l) => l.includes(' done segment '));
    expect(segments.length).toBeLessThanOrEqual(4 + [...before.values()].filter((b) => !b.mask).length);
    await rt.store.close();
  }, 180_000);
});
