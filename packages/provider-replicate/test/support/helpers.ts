/** Test helpers: provider contexts, image sources (local or "presigned"), a fake clock, fake models. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JobkitError, silentLogger, type Clock, type ImageSource, type ProviderContext } from 'jobkit';
import type { Sleep } from '../../src/runtime.js';
import { solidPng } from './png.js';
import type { FakeModelSpec, FakeReplicate } from './fake-replicate.js';

export const SEGMENT_VERSION = 'a029dff38972b5fda4ec5d75d7d1cd25aeff621d2cf4946a41055d7db66b80bc';
export const CUTOUT = solidPng(8, 6, [200, 30, 30, 255]);
export const BACKGROUND_PNG = solidPng(16, 16, [240, 240, 240, 255], false);

export function segmentModel(overrides: Partial<FakeModelSpec> = {}): FakeModelSpec {
  return {
    owner: '851-labs',
    name: 'background-remover',
    version: SEGMENT_VERSION,
    validate: (input) => (typeof input.image === 'string' ? null : '- image: Image is required'),
    run: () => ({ outputs: [{ bytes: CUTOUT, contentType: 'image/png' }], single: true, predictTimeSec: 2 }),
    ...overrides,
  };
}

export function fluxModel(overrides: Partial<FakeModelSpec> = {}): FakeModelSpec {
  return {
    owner: 'black-forest-labs',
    name: 'flux-schnell',
    official: true,
    validate: (input) => (typeof input.prompt === 'string' && input.prompt ? null : '- prompt: Prompt is required'),
    run: (input) => ({
      outputs: Array.from({ length: Number(input.num_outputs ?? 1) }, () => ({ bytes: BACKGROUND_PNG, contentType: 'image/png' })),
      predictTimeSec: 0.6,
    }),
    ...overrides,
  };
}

/**
 * flux-schnell with its safety checker, as Replicate runs it: each prediction renders `num_outputs` images,
 * drops the flagged ones and returns (and bills, via metrics.image_count) only the rest; when every image is
 * flagged the prediction fails. `flagged[k]` is how many images prediction k loses (0 after the list ends).
 */
export function fluxWithSafetyChecker(flagged: number[], overrides: Partial<FakeModelSpec> = {}): FakeModelSpec {
  let runs = 0;
  return {
    ...fluxModel(),
    run: (input) => {
      const requested = Number(input.num_outputs ?? 1);
      const lost = Math.min(requested, flagged[runs++] ?? 0);
      if (lost === requested)
        return { error: 'All generated images contained NSFW content. Try running it again with a different prompt.', predictTimeSec: 0.6 };
      return { outputs: Array.from({ length: requested - lost }, () => ({ bytes: BACKGROUND_PNG, contentType: 'image/png' })), predictTimeSec: 0.6 };
    },
    ...overrides,
  };
}

export interface TestContext {
  ctx: ProviderContext;
  refs: string[];
  /** Spend recorded with a ref (recordRef's second argument), in order. */
  spends: Array<{ ref: string; costUsd: number }>;
  abort: AbortController;
}

export function makeContext(
  opts: { previousRef?: string | null; jobId?: string; clock?: Clock; onRecord?: (ref: string) => void | Promise<void> } = {},
): TestContext {
  const refs: string[] = [];
  const spends: Array<{ ref: string; costUsd: number }> = [];
  const abort = new AbortController();
  const ctx: ProviderContext = {
    jobId: opts.jobId ?? 'job_0123456789abcdefghi',
    sku: 'SKU-1',
    theme: 'studio',
    signal: abort.signal,
    logger: silentLogger,
    clock: opts.clock ?? { now: () => new Date() },
    previousRef: opts.previousRef ?? null,
    async recordRef(ref, spend) {
      refs.push(ref);
      if (spend) spends.push({ ref, costUsd: spend.costUsd });
      await opts.onRecord?.(ref);
    },
  };
  return { ctx, refs, spends, abort };
}

/** An image in a store without public URLs (local files): providers must send bytes. */
export function localImage(bytes: Buffer, key = 'originals/SKU-1/a.jpg', contentType = 'image/jpeg'): ImageSource {
  return { key, contentType, bytes: async () => bytes, publicUrl: async () => null };
}

/** A tiny HTTP server standing in for presigned object-store URLs. */
export async function startObjectHost(): Promise<{ url: string; put(path: string, bytes: Buffer): void; hits: string[]; close(): Promise<void> }> {
  const objects = new Map<string, Buffer>();
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.push(path);
    const body = objects.get(path);
    if (!body) {
      res.writeHead(403).end('AccessDenied');
      return;
    }
    res.writeHead(200, { 'content-type': 'image/jpeg' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    hits,
    put: (path, bytes) => objects.set(path, bytes),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export function publicImage(url: string, bytes: Buffer, key = 'originals/SKU-1/a.jpg'): ImageSource & { presigns: number } {
  const source = {
    key,
    contentType: 'image/jpeg',
    presigns: 0,
    bytes: async () => bytes,
    publicUrl: async () => {
      source.presigns += 1;
      return `${url}?X-Amz-Signature=abc`;
    },
  };
  return source;
}

/** A clock that only moves when the code under test sleeps (sleeps are recorded). */
export function fakeTime(startMs = Date.parse('2030-01-01T00:00:00Z')): { clock: Clock; sleep: Sleep; sleeps: number[]; advance(ms: number): void } {
  let now = startMs;
  const sleeps: number[] = [];
  const sleep: Sleep = async (ms, signal) => {
    sleeps.push(ms);
    const wakeAt = now + ms;
    // Yield to real I/O so the fake server (real time) can progress between polls; time moves on wake-up.
    await new Promise((resolve) => setTimeout(resolve, 2));
    now = Math.max(now, wakeAt);
    if (signal?.aborted) throw new JobkitError('CANCELLED', 'waiting was cancelled');
  };
  return { clock: { now: () => new Date(now) }, sleep, sleeps, advance: (ms) => (now += ms) };
}

export function clientOptions(fake: FakeReplicate): { auth: string; baseUrl: string; fetch: typeof fetch } {
  return { auth: fake.token, baseUrl: fake.baseUrl, fetch: (input, init) => fetch(input, init) };
}

export async function expectJobkitError(promise: Promise<unknown>): Promise<JobkitError> {
  try {
    await promise;
  } catch (err) {
    if (JobkitError.is(err)) return err;
    throw new Error(`expected a JobkitError, got ${String(err)}`);
  }
  throw new Error('expected a JobkitError, but the promise resolved');
}

/** Resolves with the first truthy value of `get`, polling every 5 ms (real time). */
export async function until<T>(get: () => T | Promise<T>, timeoutMs = 5000): Promise<NonNullable<T>> {
  const started = Date.now();
  for (;;) {
    const v = await get();
    if (v) return v as NonNullable<T>;
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
