/**
 * Fakes for unit tests: a controllable clock and providers with configurable latency, scripted failures
 * (e.g. two 503s then success, a 429 with retryAfterMs) and call counters. They implement the real ports.
 */
import { createHash } from 'node:crypto';
import { JobkitError, type ErrorCode } from 'jobkit';
import { keys } from 'jobkit';
import type { Clock } from 'jobkit';
import type {
  BackgroundGenerator,
  BackgroundRequest,
  CompositeOutput,
  CompositeRequest,
  Compositor,
  CutoutQuality,
  ProviderContext,
  QualityGate,
  QualityInput,
  SegmentRequest,
  Segmenter,
} from 'jobkit';
import type { Storefront, StorefrontPushRequest } from 'jobkit';
import type { ThemedPhotoRef } from 'jobkit';

export interface FakeClock extends Clock {
  advance(ms: number): Date;
  set(at: Date | string): void;
}

export function createFakeClock(start: Date | string = '2026-01-01T00:00:00.000Z'): FakeClock {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
      return new Date(t);
    },
    set(at) {
      t = new Date(at).getTime();
    },
  };
}

/** A scripted failure: a JobkitError, or a shorthand. */
export type FakeFailure = JobkitError | { code: ErrorCode; message?: string; retryAfterMs?: number; retryable?: boolean };

export interface FakeProviderOptions {
  /** Milliseconds each call takes (real time; abortable). */
  latencyMs?: number;
  /** Thrown by the first calls, in order; later calls succeed. */
  failures?: FakeFailure[];
  /** Cost reported per successful call. */
  costUsd?: number;
}

export interface FakeCounters {
  /** Calls made (including failed ones). */
  calls: number;
  /** Calls that succeeded. */
  successes: number;
  /** Times at which calls started (clock time, ms). */
  callTimes: number[];
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new JobkitError('CANCELLED', 'aborted'));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function makeCallGate(opts: FakeProviderOptions, counters: FakeCounters) {
  const failures = [...(opts.failures ?? [])];
  return async (ctx: { signal: AbortSignal; clock?: Clock }): Promise<void> => {
    counters.calls++;
    counters.callTimes.push((ctx.clock ?? { now: () => new Date() }).now().getTime());
    await sleep(opts.latencyMs ?? 0, ctx.signal);
    const f = failures.shift();
    if (f) {
      throw JobkitError.is(f)
        ? f
        : new JobkitError(f.code, f.message ?? `fake ${f.code}`, {
            ...(f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {}),
            ...(f.retryable !== undefined ? { retryable: f.retryable } : {}),
          });
    }
    counters.successes++;
  };
}

const tinyBytes = (label: string) => Buffer.from(`fake:${label}:${createHash('sha1').update(label).digest('hex')}`);

export interface FakeSegmenterOptions extends FakeProviderOptions {
  /** The quality the segmenter reports (default a confident `{ score: 1, reasons: [] }`); null reports none. */
  quality?: CutoutQuality | null;
  name?: string;
}

export function createFakeSegmenter(opts: FakeSegmenterOptions = {}): Segmenter & FakeCounters & { requests: SegmentRequest[] } {
  const quality = opts.quality === undefined ? { score: 1, reasons: [] } : opts.quality;
  const self = { name: opts.name ?? 'fake-segmenter', calls: 0, successes: 0, callTimes: [] as number[], requests: [] as SegmentRequest[] } as Segmenter &
    FakeCounters & { requests: SegmentRequest[] };
  const gate = makeCallGate(opts, self);
  self.segment = async (req: SegmentRequest, ctx: ProviderContext) => {
    self.requests.push(req);
    await gate(ctx);
    await req.original.bytes();
    return { cutout: tinyBytes(`mask:${req.sku}:${req.sha256}:${self.name}`), costUsd: opts.costUsd ?? 0, ...(quality ? { quality } : {}) };
  };
  return self;
}

/** A quality gate that gives every cutout the same verdict, and records what it was asked. */
export function createFakeQualityGate(verdict: CutoutQuality = { score: 1, reasons: [] }): QualityGate & { inputs: QualityInput[] } {
  const inputs: QualityInput[] = [];
  return {
    name: 'fake-quality-gate',
    inputs,
    async assess(input: QualityInput) {
      inputs.push(input);
      return { score: verdict.score, reasons: [...verdict.reasons] };
    },
  };
}

export function createFakeBackgroundGenerator(opts: FakeProviderOptions = {}): BackgroundGenerator & FakeCounters & { requests: BackgroundRequest[] } {
  const self = { name: 'fake-backgrounds', calls: 0, successes: 0, callTimes: [] as number[], requests: [] as BackgroundRequest[] } as BackgroundGenerator &
    FakeCounters & { requests: BackgroundRequest[] };
  const gate = makeCallGate(opts, self);
  self.generate = async (req: BackgroundRequest, ctx: ProviderContext) => {
    self.requests.push(req);
    await gate(ctx);
    return { backgrounds: Array.from({ length: req.count }, (_, i) => tinyBytes(`bg:${req.theme}:${i}`)), costUsd: opts.costUsd ?? 0 };
  };
  return self;
}

export interface FakeCompositorOptions extends FakeProviderOptions {
  aspects?: string[];
  variants?: number;
}

export function createFakeCompositor(opts: FakeCompositorOptions = {}): Compositor & FakeCounters {
  const aspects = opts.aspects ?? ['1x1', '4x5'];
  const variants = opts.variants ?? 2;
  const plan = (photo: ThemedPhotoRef) =>
    aspects.flatMap((aspect) =>
      Array.from({ length: variants }, (_, i) => [
        { key: keys.thumbnail(photo, aspect, i + 1), role: 'thumbnail' as const, aspect, variant: i + 1 },
        { key: keys.composite(photo, aspect, i + 1), role: 'master' as const, aspect, variant: i + 1 },
      ]).flat(),
    );
  const self = { name: 'fake-compositor', variants, calls: 0, successes: 0, callTimes: [] as number[] } as Compositor & FakeCounters;
  const gate = makeCallGate(opts, self);
  self.backgroundSize = () => ({ width: 64, height: 64 });
  self.plan = plan;
  self.composite = async (req: CompositeRequest, ctx) => {
    await gate({ signal: ctx.signal });
    const outputs: CompositeOutput[] = plan(req.photo).map((p) => ({ ...p, bytes: tinyBytes(p.key), contentType: 'image/jpeg', width: 64, height: 64 }));
    return { outputs };
  };
  return self;
}

export function createFakeStorefront(opts: FakeProviderOptions = {}): Storefront & FakeCounters & { media: Map<string, string>; uploads: number } {
  const self = { name: 'fake-storefront', calls: 0, successes: 0, callTimes: [] as number[], media: new Map<string, string>(), uploads: 0 } as Storefront &
    FakeCounters & { media: Map<string, string>; uploads: number };
  const gate = makeCallGate(opts, self);
  self.push = async (req: StorefrontPushRequest, ctx: ProviderContext) => {
    await gate(ctx);
    const mediaIds = req.images.map((img) => {
      const existing = self.media.get(img.marker);
      if (existing) return existing;
      self.uploads++;
      const id = `fake://media/${self.media.size + 1}`;
      self.media.set(img.marker, id);
      return id;
    });
    return { mediaIds, costUsd: opts.costUsd ?? 0 };
  };
  return self;
}
