import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createJobService, createMemoryJobStore, createMemoryObjectStore, createWorker, keys, type JobService, type Worker } from 'jobkit';
import { createFakeBackgroundGenerator, createFakeClock, createFakeCompositor, createFakeSegmenter, createFakeStorefront, type FakeClock } from 'jobkit/testing';
import { createJobkitMetrics, createJobkitRouter, instrumentWorker, type JobkitMetrics } from '../src/index.js';
import { SECRET, TOKEN } from './helpers.js';

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
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length);
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} is ambiguous`);
  return found[0]?.value;
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function stack(): Promise<{ service: JobService; worker: Worker; clock: FakeClock; metrics: JobkitMetrics; api: string; upload(sku: string, i: number): Promise<string> }> {
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
  const app = express();
  app.use('/api', createJobkitRouter({ service, objects, webhook: { secrets: [SECRET] }, auth: { tokens: [TOKEN] }, metrics }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  return {
    service,
    worker,
    clock,
    metrics,
    api,
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

describe('GET /metrics', () => {
  it('exposes job gauges, step histograms and provider counters with bounded labels', async () => {
    const s = await stack();
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

    const res = await fetch(`${s.api}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const m = parseExposition(text);

    expect(value(m, 'jobkit_jobs', { status: 'DONE' })).toBe(1);
    expect(value(m, 'jobkit_jobs', { status: 'FAILED' })).toBe(1);
    expect(value(m, 'jobkit_jobs', { status: 'QUEUED' })).toBe(1);
    expect(value(m, 'jobkit_jobs', { status: 'NEW' })).toBe(0);
    expect(m.filter((x) => x.name === 'jobkit_jobs')).toHaveLength(8);
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
    expect(new Set(m.filter((x) => x.labels['step']).map((x) => x.labels['step']))).toEqual(new Set(['fetch', 'segment', 'background', 'composite', 'storefront']));
  });

  it('needs the API token unless metricsPublic, and answers 503 when the store cannot be read', async () => {
    const s = await stack();
    expect((await fetch(`${s.api}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${s.api}/metrics`, { headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: 'invalid API token' } });

    const app = express();
    app.use('/api', createJobkitRouter({ service: s.service, objects: createMemoryObjectStore(), webhook: { secrets: [SECRET] }, auth: { tokens: [TOKEN] }, metrics: s.metrics, metricsPublic: true }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const open = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/metrics`;
    const res = await fetch(open);
    expect(res.status).toBe(200);
    const doc = (await (await fetch(open.replace('/metrics', '/openapi.json'))).json()) as { paths: Record<string, { get: { security?: unknown[] } }> };
    expect(doc.paths['/metrics']!.get.security).toEqual([]);
    const secured = (await (await fetch(`${s.api}/openapi.json`)).json()) as { paths: Record<string, { get: { security?: unknown[]; responses: Record<string, unknown> } }> };
    expect(secured.paths['/metrics']!.get.security).toBeUndefined();
    expect(Object.keys(secured.paths['/metrics']!.get.responses).sort()).toEqual(['200', '401', '503']);
    expect(value(parseExposition(await res.text()), 'jobkit_queue_depth')).toBe(0);

    // The store fails: the scrape is 503 (target down), not a page of stale zeros.
    s.service.store.stats = () => Promise.reject(new Error('database is locked'));
    const down = await fetch(open);
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
