import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { JOB_STATUSES, createJobService, createMemoryJobStore, createMemoryObjectStore, createWorker, keys, type JobService, type Worker } from 'jobkit';
import {
  createFakeBackgroundGenerator,
  createFakeClock,
  createFakeCompositor,
  createFakeSegmenter,
  createFakeStorefront,
  type FakeClock,
} from 'jobkit/testing';
import { createJobkitMetrics, instrumentWorker, type JobkitMetrics } from '../src/index.js';
import { SECRET, TOKEN } from './support/servers.js';
import { TRANSPORTS, type Transport } from './support/transports.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (enough of it for these assertions). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparseable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length,
  );
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} is ambiguous`);
  return found[0]?.value;
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** Serves the API (with metrics) on `t` at /api; `fetch` goes through the transport. */
async function serveApi(t: Transport, options: { service: JobService; metrics: JobkitMetrics; metricsPublic?: boolean }) {
  const served = await t.serve(() => [
    {
      at: '/api',
      api: {
        service: options.service,
        objects: createMemoryObjectStore(),
        webhook: { secrets: [SECRET] },
        auth: { tokens: [TOKEN] },
        metrics: options.metrics,
        metricsPublic: options.metricsPublic ?? false,
      },
    },
  ]);
  closers.push(() => served.close());
  return { api: `${served.url}/api`, fetch: served.fetch };
}

async function stack(t: Transport): Promise<{
  service: JobService;
  worker: Worker;
  clock: FakeClock;
  metrics: JobkitMetrics;
  api: string;
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
  upload(sku: string, i: number): Promise<string>;
}> {
  const clock = createFakeClock('2026-03-10T08:00:00.000Z');
  const objects = createMemoryObjectStore();
  const service = createJobService({ store: createMemoryJobStore(), clock, objects });
  const worker = createWorker({
    service,
    objects,
    // First segment call: retryable error; first composite call: a final one.
    segmenter: createFakeSegmenter({ costUsd: 0.01, failures: [{ code: 'SEGMENT_FAILED', message: 'provider hiccup' }] }),
    backgrounds: createFakeBackgroundGenerator({ costUsd: 0.02 }),
    compositor: createFakeCompositor({ failures: [{ code: 'COMPOSITE_FAILED', message: 'bad cutout' }] }),
    storefront: createFakeStorefront(),
    concurrency: 1,
  });
  const metrics = createJobkitMetrics({ service });
  closers.push(async () => instrumentWorker(worker, metrics)());
  const { api, fetch } = await serveApi(t, { service, metrics });
  return {
    service,
    worker,
    clock,
    metrics,
    api,
    fetch,
    async upload(sku, i) {
      const bytes = Buffer.from(`photo ${sku} ${i}`);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const originalKey = keys.original({ sku, sha256 }, 'jpg');
      await objects.put(originalKey, bytes, { contentType: 'image/jpeg' });
      const { job } = await service.createJob({ sku, sha256, originalKey, autoStart: true });
      return job.id;
    },
  };
}

describe.each(TRANSPORTS)('GET /metrics ($name)', (t) => {
  it('exposes job gauges, step histograms and provider counters with bounded labels', async () => {
    const s = await stack(t);
    const instrumented = instrumentWorker(s.worker, s.metrics);
    closers.push(async () => instrumented());

    const first = await s.upload('SKU-A', 1);
    await s.worker.runUntilIdle(); // fetch, segment → retryable error
    expect((await s.service.requireJob(first)).status).toBe('SEGMENTING');
    s.clock.advance(3_600_000);
    await s.worker.runUntilIdle(); // segment, backgrounds, composite → COMPOSITE_FAILED (final)
    expect((await s.service.requireJob(first)).status).toBe('FAILED');
    const second = await s.upload('SKU-B', 2);
    await s.worker.runUntilIdle();
    expect((await s.service.requireJob(second)).status).toBe('DONE');
    await s.upload('SKU-C', 3); // stays QUEUED: nobody runs the worker again
    s.clock.advance(90_000);

    const res = await s.fetch(`${s.api}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const m = parseExposition(text);

    expect(value(m, 'jobkit_jobs', { status: 'DONE' })).toBe(1);
    expect(value(m, 'jobkit_jobs', { status: 'FAILED' })).toBe(1);
    expect(value(m, 'jobkit_jobs', { status: 'QUEUED' })).toBe(1);
    expect(value(m, 'jobkit_jobs', { status: 'NEW' })).toBe(0);
    expect(m.filter((x) => x.name === 'jobkit_jobs')).toHaveLength(JOB_STATUSES.length);
    expect(value(m, 'jobkit_jobs', { status: 'REVIEW' })).toBe(0);
    expect(value(m, 'jobkit_queue_depth')).toBe(1);
    expect(value(m, 'jobkit_oldest_queued_job_age_seconds')).toBe(90);
    // Spend: segment 0.01 + backgrounds 0.02, for each of the two jobs that got that far.
    expect(value(m, 'jobkit_spend_usd', { period: 'total' })).toBeCloseTo(0.06, 6);
    expect(value(m, 'jobkit_spend_usd', { period: 'today' })).toBeCloseTo(0.06, 6);
    expect(value(m, 'jobkit_failure_rate')).toBe(0.5);

    // Segment: one failed call (retried) + two successful ones; composite: one final failure + one success.
    expect(value(m, 'jobkit_provider_calls_total', { step: 'segment' })).toBe(3);
    expect(value(m, 'jobkit_provider_calls_total', { step: 'composite' })).toBe(2);
    expect(value(m, 'jobkit_provider_calls_total', { step: 'storefront' })).toBe(1);
    expect(value(m, 'jobkit_provider_errors_total', { step: 'segment', code: 'SEGMENT_FAILED', outcome: 'retry' })).toBe(1);
    expect(value(m, 'jobkit_provider_errors_total', { step: 'composite', code: 'COMPOSITE_FAILED', outcome: 'failed' })).toBe(1);
    expect(m.filter((x) => x.name === 'jobkit_provider_errors_total')).toHaveLength(2);
    expect(value(m, 'jobkit_step_duration_seconds_count', { step: 'segment' })).toBe(2);
    expect(value(m, 'jobkit_step_duration_seconds_count', { step: 'storefront' })).toBe(1);
    expect(value(m, 'jobkit_step_duration_seconds_bucket', { step: 'segment', le: '+Inf' })).toBe(2);
    expect(value(m, 'jobkit_worker_errors_total')).toBe(0);

    // Bounded label sets: nothing per SKU or per job.
    const labelNames = new Set(m.flatMap((x) => Object.keys(x.labels)));
    expect([...labelNames].sort()).toEqual(['code', 'le', 'outcome', 'period', 'status', 'step']);
    for (const id of [first, second, 'SKU-A', 'SKU-B', 'SKU-C']) expect(text).not.toContain(id);
    expect(new Set(m.filter((x) => x.labels['step']).map((x) => x.labels['step']))).toEqual(
      new Set(['fetch', 'segment', 'background', 'composite', 'storefront']),
    );
  });

  it('needs the API token unless metricsPublic, and answers 503 when the store cannot be read', async () => {
    const s = await stack(t);
    expect((await s.fetch(`${s.api}/metrics`)).status).toBe(401);
    const wrong = await s.fetch(`${s.api}/metrics`, { headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: 'invalid API token' } });

    const pub = await serveApi(t, { service: s.service, metrics: s.metrics, metricsPublic: true });
    const open = `${pub.api}/metrics`;
    const res = await pub.fetch(open);
    expect(res.status).toBe(200);
    const doc = (await (await pub.fetch(open.replace('/metrics', '/openapi.json'))).json()) as { paths: Record<string, { get: { security?: unknown[] } }> };
    expect(doc.paths['/metrics']!.get.security).toEqual([]);
    const secured = (await (await s.fetch(`${s.api}/openapi.json`)).json()) as {
      paths: Record<string, { get: { security?: unknown[]; responses: Record<string, unknown> } }>;
    };
    expect(secured.paths['/metrics']!.get.security).toBeUndefined();
    expect(Object.keys(secured.paths['/metrics']!.get.responses).sort()).toEqual(['200', '401', '503']);
    expect(value(parseExposition(await res.text()), 'jobkit_queue_depth')).toBe(0);

    // The store fails: the scrape is 503 (target down), not a page of stale zeros.
    s.service.store.stats = () => Promise.reject(new Error('database is locked'));
    const down = await pub.fetch(open);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ error: { code: 'STORAGE_FAILED', message: 'metrics unavailable' } });
  });

  it('uses its own registry: two instances do not collide and the global registry stays empty', async () => {
    const { register } = await import('prom-client');
    const service = createJobService({ store: createMemoryJobStore() });
    const a = createJobkitMetrics({ service });
    const b = createJobkitMetrics({ service, prefix: 'shop_', defaultMetrics: true });
    expect(a.registry).not.toBe(b.registry);
    expect(register.getMetricsAsArray()).toHaveLength(0);
    const text = await b.render();
    expect(text).toContain('shop_jobs{status="NEW"} 0');
    expect(text).toContain('shop_process_cpu_user_seconds_total');
    expect(() => createJobkitMetrics({ service, prefix: 'bad prefix' })).toThrow(/prefix/);
  });
});

describe('cutout quality histogram', () => {
  it("observes the quality of each finished segmentation from the worker's job:step events", async () => {
    const service = createJobService({ store: createMemoryJobStore() });
    const metrics = createJobkitMetrics({ service });
    const listeners: Array<(e: unknown) => void> = [];
    const worker = {
      on: ((event: string, fn: (e: unknown) => void) => {
        if (event === 'job:step') listeners.push(fn);
        return () => undefined;
      }) as Worker['on'],
    };
    const stop = instrumentWorker(worker, metrics);
    const step = (from: string, quality: unknown, skipped = false) => {
      for (const l of listeners) l({ job: { status: 'BG_GENERATING', quality }, from, durationMs: 10, costUsd: 0, skipped });
    };
    step('SEGMENTING', { score: 0.95, reasons: [] });
    step('SEGMENTING', { score: 0.42, reasons: ['low-coverage: the product covers 0.4 % of the frame'] });
    step('SEGMENTING', null); // no gate ran
    step('SEGMENTING', { score: 0.9, reasons: [] }, true); // a re-run found the mask: counted the first time
    step('COMPOSITING', { score: 0.95, reasons: [] }); // quality is carried along, observed once
    const m = parseExposition(await metrics.render());
    expect(value(m, 'jobkit_cutout_quality_score_count')).toBe(2);
    expect(value(m, 'jobkit_cutout_quality_score_sum')).toBeCloseTo(1.37, 6);
    expect(value(m, 'jobkit_cutout_quality_score_bucket', { le: '0.5' })).toBe(1);
    expect(value(m, 'jobkit_cutout_quality_score_bucket', { le: '0.6' })).toBe(1);
    expect(value(m, 'jobkit_cutout_quality_score_bucket', { le: '1' })).toBe(2);
    stop();
  });
});
