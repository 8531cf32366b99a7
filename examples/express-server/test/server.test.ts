import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobkitError, signWebhook, type Job, type JobEvent } from 'jobkit';
import { loadConfig } from '../src/config.js';
import { runDemo } from '../src/demo-lib.js';
import { startServer, type RunningServer } from '../src/server.js';
import { capturingLogger, writePlaceholderSamples } from './helpers.js';

let dir = '';
const running: RunningServer[] = [];
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'jobkit-example-'));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

async function start(env: Record<string, string> = {}) {
  const log = capturingLogger();
  const server = await startServer(loadConfig({ PORT: '0', JOBKIT_DATA_DIR: path.join(dir, 'data'), ...env }), log.logger);
  running.push(server);
  return { server, log };
}

describe('the demo flow (server + in-process worker + sharp + SQLite on a temp dir)', () => {
  it('takes signed webhooks to DONE, with composites on disk and in the local storefront', { timeout: 240_000 }, async () => {
    const samples = path.join(dir, 'samples');
    await writePlaceholderSamples(samples, [
      { name: 'BALL-001.jpg', color: '#d23c3c', shape: 'circle' },
      { name: 'BOX-002.jpg', color: '#2c5fb8', shape: 'rect' },
    ]);
    const { logger, text } = capturingLogger();
    const result = await runDemo({ samplesDir: samples, dataDir: path.join(dir, 'demo'), timeoutMs: 200_000, logger });
    expect(result.jobs.map((r) => [r.sku, r.outcome])).toEqual([
      ['BALL-001', 'DONE'],
      ['BOX-002', 'DONE'],
    ]);
    expect(result.ok).toBe(true);
    for (const r of result.jobs) {
      const job = r.job!;
      expect(job.compositeKeys.length).toBeGreaterThan(0);
      expect(job.storefrontMediaIds).toHaveLength(job.compositeKeys.length);
      for (const key of [job.originalKey!, job.maskKey!, ...job.backgroundKeys, ...job.compositeKeys]) {
        expect((await stat(path.join(result.objectsDir!, key))).size, key).toBeGreaterThan(1000);
      }
      const manifest = JSON.parse(await readFile(path.join(result.storefrontDir!, job.sku, 'manifest.json'), 'utf8')) as Array<{
        mediaId: string;
        file: string;
      }>;
      expect(manifest.map((m) => m.mediaId).sort()).toEqual([...job.storefrontMediaIds].sort());
      for (const m of manifest) expect(existsSync(path.join(result.storefrontDir!, job.sku, m.file))).toBe(true);
    }
    expect(existsSync(path.join(result.dataDir, 'jobkit.db'))).toBe(true);
    // Every job log line of the worker carries jobId and sku.
    const jobLines = text()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l['jobId'] !== undefined);
    expect(jobLines.length).toBeGreaterThan(0);
    for (const l of jobLines) expect(l['sku']).toBeTypeOf('string');
  });
});

describe('the reference server', () => {
  it('generates the API token and webhook secret into 0600 files, logs only their paths, reuses them on restart', async () => {
    const { server, log } = await start({ JOBKIT_WORKER: '0', JOBKIT_AUTO_START: '0' });
    const tokenFile = path.join(dir, 'data', 'api-token');
    const secretFile = path.join(dir, 'data', 'webhook-secret');
    const token = (await readFile(tokenFile, 'utf8')).trim();
    const secret = (await readFile(secretFile, 'utf8')).trim();
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600);
    expect(log.text()).toContain(tokenFile);
    expect(log.text()).not.toContain(token);
    expect(log.text()).not.toContain(secret);

    expect((await fetch(`${server.api}/jobs`)).status).toBe(401);
    expect((await fetch(`${server.api}/jobs`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(await (await fetch(`${server.api}/readyz`)).json()).toEqual({ status: 'ready' });
    const body = JSON.stringify({ sku: 'KEEP-1', sha256: 'c'.repeat(64), imageUrl: 'https://images.example.com/keep.jpg' });
    const res = await fetch(`${server.api}/webhooks/3jms/images`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signWebhook({ body, secret }) },
      body,
    });
    expect(res.status).toBe(201);
    // JOBKIT_AUTO_START=0 (an external driver starts jobs): the job waits in NEW.
    const { job } = (await res.json()) as { job: Job };
    expect(job.status).toBe('NEW');
    expect(server.runtime.worker).toBeNull();
    await server.close();

    const again = await start({ JOBKIT_WORKER: '0', JOBKIT_AUTO_START: '0' });
    expect(again.server.runtime.apiTokens).toEqual([token]);
    expect(again.server.runtime.webhookSecrets).toEqual([secret]);
    // The SQLite file kept the job.
    const events = (await (await fetch(`${again.server.api}/jobs/${job.id}/events`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      events: JobEvent[];
    };
    expect(events.events.map((e) => e.to)).toEqual(['NEW']);
  });

  it('uses configured credentials and writes no credential files', async () => {
    const { server } = await start({ JOBKIT_API_TOKEN: 'configured-token-123456', JOBKIT_WEBHOOK_SECRET: 'configured-secret-123456', JOBKIT_WORKER: '0' });
    expect(existsSync(path.join(dir, 'data', 'api-token'))).toBe(false);
    expect(existsSync(path.join(dir, 'data', 'webhook-secret'))).toBe(false);
    expect((await fetch(`${server.api}/jobs`, { headers: { authorization: 'Bearer configured-token-123456' } })).status).toBe(200);
  });

  it('fails at start-up naming the misconfigured variable, and releases the port', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const cases: Array<[Record<string, string>, string]> = [
      [{ SHOPIFY_STORE_DOMAIN: 'shop.myshopify.com' }, 'SHOPIFY_ACCESS_TOKEN'],
      [{ JOBKIT_S3_BUCKET: 'Bad_Bucket' }, 'JOBKIT_S3_BUCKET'],
      [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
      [{ REPLICATE_API_TOKEN: 'r8 with spaces' }, 'REPLICATE_API_TOKEN'],
    ];
    for (const [env, variable] of cases) {
      const err = await startServer(loadConfig({ PORT: String(port), JOBKIT_DATA_DIR: path.join(dir, 'data'), ...env }), capturingLogger().logger).then(
        () => null,
        (e: unknown) => e,
      );
      expect(JobkitError.is(err, 'INVALID_INPUT'), String(err)).toBe(true);
      expect((err as JobkitError).details?.['field']).toBe(variable);
    }
    // The port is free again.
    const again = net.createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((r) => again.close(r));
  });
});
