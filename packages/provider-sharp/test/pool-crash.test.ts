/**
 * A pool thread that dies fails only its own task, with a retryable error in the step's code: the
 * process, the pool and the job survive, and the worker schedules a retry.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createJobService, createMemoryJobStore, createMemoryObjectStore, createLocalStorefront, createWorker, keys } from 'jobkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createImagePool, createSharpProviders, createStudioSegmenter } from '../src/index.js';
import { expectJobkitError, providerCtx, SHA, source } from './fixtures/helpers.js';

const crashing = createImagePool({ threads: 1, workerFile: fileURLToPath(new URL('./pool-crashing-worker.ts', import.meta.url)) });
afterAll(() => crashing.close());
const sample = () => readFile(fileURLToPath(new URL('../../../examples/express-server/samples/MUG-001.jpg', import.meta.url)));

describe('image pool: a crashing thread', () => {
  it('exit in the thread → retryable error in the step code; the pool starts a new thread and keeps serving', async () => {
    const pid = process.pid;
    const err = await expectJobkitError(
      crashing.run({ kind: 'exit', input: null }, { pixels: 1, errorCode: 'COMPOSITE_FAILED', what: 'compositing' }),
      'COMPOSITE_FAILED',
      true,
      /image worker thread crashed.*exited with code: 3/,
    );
    expect(err.retryable).toBe(true); // COMPOSITE_FAILED is not retryable by default; a crash is
    expect(process.pid).toBe(pid);
    // The next task runs on a fresh thread, through the real handler.
    const out = await crashing.run<Uint8Array[]>(
      { kind: 'background', input: { theme: createSharpProviders().themes.get('default'), width: 32, height: 16, variants: [1], quality: 90 } },
      { pixels: 512, errorCode: 'BACKGROUND_FAILED', what: 'rendering' },
    );
    expect(out).toHaveLength(1);
    expect(crashing.stats()).toMatchObject({ running: 0, inUse: 0 });
  });

  it('an uncaught exception in the thread → retryable error, budget released', async () => {
    await expectJobkitError(
      crashing.run({ kind: 'throw', input: null }, { pixels: 1000, errorCode: 'SEGMENT_FAILED', what: 'studio segmentation' }),
      'SEGMENT_FAILED',
      true,
      /uncaught in the image thread/,
    );
    expect(crashing.stats()).toMatchObject({ running: 0, inUse: 0 });
  });

  it('the studio segmenter fails the step with a retryable SEGMENT_FAILED', async () => {
    const seg = createStudioSegmenter({ pool: crashing });
    await expectJobkitError(seg.segment({ sku: 'SKU-1', sha256: SHA, original: source(await sample()) }, providerCtx()), 'SEGMENT_FAILED', true, /crashed/);
  });

  it('the worker schedules a retry of the job instead of failing it, and the process carries on', async () => {
    const store = createMemoryJobStore();
    const objects = createMemoryObjectStore();
    const service = createJobService({ store, objects });
    const providers = createSharpProviders({ pool: crashing });
    const worker = createWorker({ service, objects, storefront: createLocalStorefront({ dir: tmpdir() }), ...providers, retry: { baseMs: 60_000 } });
    const original = await sample();
    const sha256 = createHash('sha256').update(original).digest('hex');
    const key = keys.original({ sku: 'MUG-1', sha256 }, 'jpg');
    await objects.put(key, original, { contentType: 'image/jpeg' });
    const { job } = await service.createJob({ sku: 'MUG-1', sha256, theme: 'studio', originalKey: key, autoStart: true });
    await worker.runOnce();
    const after = await service.getJob(job.id);
    expect(after).toMatchObject({ status: 'SEGMENTING', errorCode: 'SEGMENT_FAILED', attempts: 1 });
    expect(after?.errorMessage).toMatch(/image worker thread crashed/);
  });
});
