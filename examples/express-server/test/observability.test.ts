/**
 * Logs, metrics and the dashboard of the reference server while a real job runs (signed webhook →
 * download → sharp → local storefront): every pino line that mentions a job carries its jobId and sku,
 * no line carries the API token or the webhook secret, /api/metrics counts the job, /dashboard shows it.
 */
import { createHash } from 'node:crypto';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook, type Job } from 'jobkit';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startServer, type RunningServer } from '../src/server.js';
import { writePlaceholderSamples } from './helpers.js';

let dir = '';
let server: RunningServer;
let photos: http.Server;
const lines: string[] = [];
let token = '';
let secret = '';
let job: Job;

async function waitFor(id: string, timeoutMs: number): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${server.api}/jobs/${id}`, { headers: { authorization: `Bearer ${token}` } });
    const { job: j } = (await res.json()) as { job: Job };
    if (j.status === 'DONE' || j.status === 'FAILED') return j;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${j.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'jobkit-observability-'));
  await writePlaceholderSamples(dir, [{ name: 'TEAPOT-9.jpg', color: '#1f7a5c', shape: 'circle' }]);
  const bytes = await readFile(path.join(dir, 'TEAPOT-9.jpg'));
  photos = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(bytes));
  await new Promise<void>((r) => photos.listen(0, '127.0.0.1', r));

  // debug: also the lines of rejected requests and duplicate deliveries.
  const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
  server = await startServer(
    loadConfig({ PORT: '0', JOBKIT_DATA_DIR: path.join(dir, 'data'), JOBKIT_ALLOW_PRIVATE_IMAGE_URLS: '1', JOBKIT_WORKER_CONCURRENCY: '1' }),
    logger,
  );
  token = server.runtime.apiTokens[0]!;
  secret = server.runtime.webhookSecrets[0]!;

  const body = JSON.stringify({
    sku: 'TEAPOT-9',
    sha256: createHash('sha256').update(bytes).digest('hex'),
    imageUrl: `http://127.0.0.1:${(photos.address() as AddressInfo).port}/TEAPOT-9.jpg`,
  });
  const deliver = () =>
    fetch(`${server.api}/webhooks/3jms/images`, { method: 'POST', headers: { 'content-type': 'application/json', ...signWebhook({ body, secret }) }, body });
  const created = await deliver();
  expect(created.status).toBe(201);
  const id = ((await created.json()) as { job: Job }).job.id;
  expect((await deliver()).status).toBe(200); // duplicate
  job = await waitFor(id, 120_000);
}, 180_000);

afterAll(async () => {
  await server?.close();
  await new Promise((r) => photos?.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe('observability of the reference server', () => {
  it('the job finished', () => {
    expect(job.status, `${job.errorCode} ${job.errorMessage}`).toBe('DONE');
  });

  it('exposes Prometheus metrics at /api/metrics behind the API token', async () => {
    expect((await fetch(`${server.api}/metrics`)).status).toBe(401);
    const res = await fetch(`${server.api}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^jobkit_jobs\{status="DONE"\} 1$/m);
    expect(text).toMatch(/^jobkit_provider_calls_total\{step="segment"\} 1$/m);
    expect(text).toMatch(/^jobkit_step_duration_seconds_count\{step="composite"\} 1$/m);
    expect(text).toMatch(/^jobkit_queue_depth 0$/m);
    expect(text).toContain('jobkit_process_resident_memory_bytes');
    expect(text).not.toContain('TEAPOT-9');
    expect(text).not.toContain(job.id);
  });

  it('serves the dashboard at /dashboard: token → session → the job page with its composites', async () => {
    expect((await fetch(`${server.url}/dashboard/`, { redirect: 'manual' })).headers.get('location')).toBe('/dashboard/login');
    const login = await fetch(`${server.url}/dashboard/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const page = await fetch(`${server.url}/dashboard/jobs/${job.id}`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    const composites = [...html.matchAll(/<img class="" src="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
    expect(composites.length).toBeGreaterThanOrEqual(job.compositeKeys.length);
    // The image URLs are short-lived signed /api/files URLs of this server.
    const first = await fetch(composites[0]!);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^image\//);
  });

  it('every log line that mentions the job carries jobId and sku; no line carries a credential', async () => {
    // A refused operator action and a read, so the API's own job lines are in the log too.
    expect((await fetch(`${server.api}/jobs/${job.id}/retry`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status).toBe(409);
    const all = lines.join('');
    expect(all).not.toContain(token);
    expect(all).not.toContain(secret);

    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const mentioning = parsed.filter((l) => JSON.stringify(l).includes(job.id));
    expect(mentioning.length).toBeGreaterThan(5);
    for (const l of mentioning) {
      expect(l, JSON.stringify(l)).toMatchObject({ jobId: job.id, sku: 'TEAPOT-9' });
    }
    const messages = mentioning.map((l) => String(l['msg']));
    expect(messages).toContain('job created by webhook');
    expect(messages).toContain('duplicate webhook delivery');
    expect(messages.some((m) => m === 'request rejected')).toBe(true); // the 409, with the job's fields
    // Lines from the worker (component=worker) are among them.
    expect(mentioning.some((l) => l['component'] === 'worker')).toBe(true);
  });
});
