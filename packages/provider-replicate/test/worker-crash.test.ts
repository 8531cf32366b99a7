/**
 * "A worker killed right after the create call, then restarted, makes no second create": a real jobkit
 * worker in a child process segments through the Replicate provider against the fake; it is SIGKILLed as
 * soon as the prediction id is on the job; a new worker takes the job over after the lease expires,
 * resumes the same prediction and moves the job on to BG_GENERATING.
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeReplicate, startFakeReplicate } from './support/fake-replicate.js';
import { fluxModel, segmentModel, until } from './support/helpers.js';
import { createStack, type StackEnv } from './support/worker-stack.js';

describe('worker crash right after the create call', () => {
  let fake: FakeReplicate;
  let dir: string;
  beforeEach(async () => {
    fake = await startFakeReplicate();
    fake.addModel(segmentModel({ durationMs: Infinity })).addModel(fluxModel({ durationMs: Infinity }));
    dir = mkdtempSync(join(tmpdir(), 'jobkit-replicate-crash-'));
  });
  afterEach(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the restarted worker resumes the recorded prediction: one create, and the job reaches BG_GENERATING', { timeout: 60_000 }, async () => {
    const env: StackEnv = {
      dbFile: join(dir, 'jobs.db'),
      objectsDir: join(dir, 'objects'),
      baseUrl: fake.baseUrl,
      token: fake.token,
      pollInitialMs: 60_000,
      leaseMs: 1000,
    };
    const parent = createStack({ ...env, pollInitialMs: 50, leaseMs: 10_000 });
    const original = Buffer.from('a product photo');
    const sha256 = createHash('sha256').update(original).digest('hex');
    await parent.objects.put(`originals/SKU-9/${sha256}.jpg`, original, { contentType: 'image/jpeg' });
    const { job } = await parent.service.createJob({ sku: 'SKU-9', sha256, originalKey: `originals/SKU-9/${sha256}.jpg`, autoStart: true });

    const child = fork(fileURLToPath(new URL('./support/worker-child.ts', import.meta.url)), [JSON.stringify(env)], {
      execArgv: ['--conditions=@jobkit/source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    try {
      // Kill as soon as the id is on the job (recorded right after the create, before any polling).
      const ref = await until(async () => (await parent.store.get(job.id))?.providerRef, 30_000);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      expect(fake.creates).toBe(1);
      const predictionId = ref as string;
      expect(fake.predictions.get(predictionId)?.status).toMatch(/starting|processing/);
      expect(fake.count('GET', /^\/v1\/predictions\//)).toBe(0);

      // Restart: a new worker claims the job once the dead worker's 1 s lease expires.
      parent.worker.start();
      await until(() => fake.count('GET', new RegExp(`^/v1/predictions/${predictionId}$`)) > 0, 15_000);
      await fake.complete(predictionId);
      const moved = await until(async () => {
        const j = await parent.store.get(job.id);
        return j && j.status !== 'SEGMENTING' ? j : null;
      }, 15_000);

      expect(moved.status).toBe('BG_GENERATING');
      expect(moved.maskKey).toBe(`masks/SKU-9/${sha256}.png`);
      expect(await parent.objects.exists(moved.maskKey!)).toBe(true);
      expect(moved.costUsd).toBeCloseTo(0.00195, 9); // 2 s × $0.000975, counted once
      // Exactly one segmentation prediction was paid for.
      expect(fake.count('POST', /^\/v1\/predictions$/)).toBe(1);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await parent.worker.stop({ timeoutMs: 1000 });
      await parent.store.close();
    }
  });
});
