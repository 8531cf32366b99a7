import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobkitError, isPending } from 'jobkit';
import { createReplicateBackgroundGenerator, createReplicateSegmenter, createReplicateWebhookHandler, type ReplicateWebhookHandler } from '../src/index.js';
import { type FakeReplicate, startFakeReplicate } from './support/fake-replicate.js';
import { CUTOUT, clientOptions, expectJobkitError, fluxModel, localImage, makeContext, segmentModel, until } from './support/helpers.js';

const JOB_ID = 'V1StGXR8_Z5jdHi6B-myT';

/** Mounts the handler the way an adapter would: raw body, parsed query. */
async function mount(handler: ReplicateWebhookHandler): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    const out = await handler({ rawBody: Buffer.concat(chunks), headers: req.headers, query: Object.fromEntries(url.searchParams) });
    res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify(out.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

describe('webhook mode', () => {
  let fake: FakeReplicate;
  let woken: string[];
  let app: { url: string; close(): Promise<void> };
  let wakeSignal: Promise<void>;
  let wakeResolve: () => void;

  beforeEach(async () => {
    fake = await startFakeReplicate();
    woken = [];
    wakeSignal = new Promise((r) => (wakeResolve = r));
    app = await mount(
      createReplicateWebhookHandler({
        secrets: fake.webhookSecret,
        wake: (id) => {
          woken.push(id);
          wakeResolve();
        },
      }),
    );
  });
  afterEach(async () => {
    await fake.close();
    await app.close();
  });

  it('creates with a webhook, returns Pending, is woken by the signed callback, then collects without a second create', async () => {
    fake.addModel(segmentModel({ durationMs: 100 }));
    const seg = createReplicateSegmenter({ ...clientOptions(fake), mode: 'webhook', webhookBaseUrl: app.url, webhookCheckAfterMs: 45_000 });

    const first = makeContext({ jobId: JOB_ID });
    const pending = await seg.segment({ sku: 'SKU-1', sha256: 'd'.repeat(64), original: localImage(Buffer.from('jpg')) }, first.ctx);
    expect(pending).toEqual({ pending: true, checkAfterMs: 45_000 });
    const [p] = [...fake.predictions.values()];
    expect(p!.webhook).toBe(`${app.url}/api/webhooks/replicate?job=${JOB_ID}`);
    expect(p!.webhook_events_filter).toEqual(['completed']);
    expect(first.refs).toEqual([p!.id]);
    expect(fake.requests.find((r) => r.method === 'POST' && r.path === '/v1/predictions')?.prefer).toBeUndefined();

    await wakeSignal;
    expect(woken).toEqual([JOB_ID]);
    await until(() => fake.webhooks.length === 1);
    expect(fake.webhooks.map((w) => w.status)).toEqual([202]);

    const second = makeContext({ jobId: JOB_ID, previousRef: first.refs[0]! });
    const result = await seg.segment({ sku: 'SKU-1', sha256: 'd'.repeat(64), original: localImage(Buffer.from('jpg')) }, second.ctx);
    if (isPending(result)) throw new Error('still pending');
    expect(result.cutout.equals(CUTOUT)).toBe(true);
    expect(result.costUsd).toBeGreaterThan(0);
    expect(fake.creates).toBe(1);
  });

  it('a re-check before completion (lost or early callback) stays pending without creating again', async () => {
    fake.addModel(fluxModel({ durationMs: Infinity }));
    const gen = createReplicateBackgroundGenerator({ ...clientOptions(fake), mode: 'webhook', webhookBaseUrl: `${app.url}/` });
    const bgReq = { sku: 'SKU-1', sha256: 'd'.repeat(64), theme: 'warm', count: 2, width: 1200, height: 1500, cutout: localImage(Buffer.from('png')) };
    const first = makeContext({ jobId: JOB_ID });
    expect(isPending(await gen.generate(bgReq, first.ctx))).toBe(true);
    const again = makeContext({ jobId: JOB_ID, previousRef: first.refs[0]! });
    expect(isPending(await gen.generate(bgReq, again.ctx))).toBe(true);
    expect(fake.creates).toBe(1);

    await fake.complete(first.refs[0]!);
    await wakeSignal;
    const done = await gen.generate(bgReq, makeContext({ jobId: JOB_ID, previousRef: first.refs[0]! }).ctx);
    if (isPending(done)) throw new Error('still pending');
    expect(done.backgrounds).toHaveLength(2);
    expect(done.costUsd).toBeCloseTo(0.006, 9);
  });

  it('a failed prediction found on wake-up is reported once (non-retryable), then a retry creates anew', async () => {
    fake.addModel(segmentModel({ durationMs: 30, run: () => ({ error: 'image has no foreground' }) }));
    const seg = createReplicateSegmenter({ ...clientOptions(fake), mode: 'webhook', webhookBaseUrl: app.url });
    const req = { sku: 'SKU-1', sha256: 'd'.repeat(64), original: localImage(Buffer.from('jpg')) };
    const first = makeContext({ jobId: JOB_ID });
    expect(isPending(await seg.segment(req, first.ctx))).toBe(true);
    await wakeSignal;
    const second = makeContext({ jobId: JOB_ID, previousRef: first.refs[0]! });
    const err = await expectJobkitError(seg.segment(req, second.ctx));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('image has no foreground');
    expect(second.refs).toEqual([`${first.refs[0]}#spent`]);
    const third = makeContext({ jobId: JOB_ID, previousRef: second.refs[0]! });
    expect(isPending(await seg.segment(req, third.ctx))).toBe(true);
    expect(fake.creates).toBe(2);
  });

  it('needs a public base URL: INVALID_INPUT at construction, env JOBKIT_PUBLIC_URL accepted', () => {
    const saved = process.env.JOBKIT_PUBLIC_URL;
    delete process.env.JOBKIT_PUBLIC_URL;
    try {
      let err: unknown;
      try {
        createReplicateSegmenter({ auth: 't', mode: 'webhook' });
      } catch (e) {
        err = e;
      }
      expect(JobkitError.is(err, 'INVALID_INPUT')).toBe(true);
      expect((err as JobkitError).message).toMatch(/webhookBaseUrl|JOBKIT_PUBLIC_URL/);
      expect(() => createReplicateSegmenter({ auth: 't', mode: 'webhook', webhookBaseUrl: 'ftp://x' })).toThrow(/webhookBaseUrl/);
      process.env.JOBKIT_PUBLIC_URL = 'https://jobs.example.com';
      expect(() => createReplicateSegmenter({ auth: 't', mode: 'webhook' })).not.toThrow();
    } finally {
      if (saved === undefined) delete process.env.JOBKIT_PUBLIC_URL;
      else process.env.JOBKIT_PUBLIC_URL = saved;
    }
  });
});

describe('webhook URL scheme', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('refuses an http: webhook URL at construction when NODE_ENV=production (Replicate requires HTTPS)', () => {
    vi.stubEnv('NODE_ENV', 'production');
    let err: unknown;
    try {
      createReplicateSegmenter({ auth: 't', mode: 'webhook', webhookBaseUrl: 'http://jobs.example.com' });
    } catch (e) {
      err = e;
    }
    expect(JobkitError.is(err, 'INVALID_INPUT')).toBe(true);
    expect((err as JobkitError).details?.field).toBe('webhookBaseUrl');
    expect((err as JobkitError).message).toMatch(/https/);
    // The same URL from the environment names the variable.
    vi.stubEnv('JOBKIT_PUBLIC_URL', 'http://jobs.example.com');
    expect(() => createReplicateSegmenter({ auth: 't', mode: 'webhook' })).toThrow(/JOBKIT_PUBLIC_URL.*https/);
    // https is fine; sync mode never sends the URL to Replicate, so http is not refused there.
    expect(() => createReplicateSegmenter({ auth: 't', mode: 'webhook', webhookBaseUrl: 'https://jobs.example.com' })).not.toThrow();
    expect(() => createReplicateSegmenter({ auth: 't', mode: 'sync' })).not.toThrow();
  });

  it('accepts http: outside production (local development against a tunnel or the fake)', () => {
    vi.stubEnv('NODE_ENV', 'development');
    expect(() => createReplicateSegmenter({ auth: 't', mode: 'webhook', webhookBaseUrl: 'http://127.0.0.1:3000' })).not.toThrow();
  });
});

describe('createReplicateWebhookHandler', () => {
  let fake: FakeReplicate;
  beforeEach(async () => {
    fake = await startFakeReplicate();
    fake.addModel(segmentModel({ durationMs: 10 }));
  });
  afterEach(async () => {
    await fake.close();
  });

  async function finishedPrediction() {
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 10 });
    await seg.segment({ sku: 'SKU-1', sha256: 'e'.repeat(64), original: localImage(Buffer.from('x')) }, makeContext().ctx);
    return [...fake.predictions.values()][0]!;
  }

  async function withApp<T>(wake: (id: string) => unknown, fn: (url: string) => Promise<T>): Promise<T> {
    const app = await mount(createReplicateWebhookHandler({ secrets: ['whsec_b2xkc2VjcmV0b2xkc2VjcmV0', fake.webhookSecret], wake }));
    try {
      return await fn(app.url);
    } finally {
      await app.close();
    }
  }

  it('valid → 202 and wake; forged → 401; stale → 401; bad job id → 400; duplicate → harmless 202', async () => {
    const p = await finishedPrediction();
    const woken: string[] = [];
    await withApp(
      (id) => woken.push(id),
      async (url) => {
        const hook = `${url}/api/webhooks/replicate?job=${JOB_ID}`;
        expect(await fake.deliver(hook, p, { id: 'msg_1' })).toBe(202);
        expect(await fake.deliver(hook, p, { id: 'msg_1' })).toBe(202); // Replicate redelivers the same message
        expect(await fake.deliver(hook, p, { secret: 'whsec_Zm9yZ2VkZm9yZ2VkZm9yZ2Vk' })).toBe(401);
        expect(await fake.deliver(hook, p, { timestampSec: Math.floor(Date.now() / 1000) - 600 })).toBe(401);
        expect(await fake.deliver(hook, p, { timestampSec: Math.floor(Date.now() / 1000) + 600 })).toBe(401);
        expect(await fake.deliver(`${url}/api/webhooks/replicate?job=../../etc`, p)).toBe(400);
        expect(await fake.deliver(`${url}/api/webhooks/replicate`, p)).toBe(400);
      },
    );
    expect(woken).toEqual([JOB_ID, JOB_ID]);
  });

  it('a tampered body is rejected even with genuine headers', async () => {
    const handler = createReplicateWebhookHandler({ secrets: fake.webhookSecret, wake: () => {} });
    const p = await finishedPrediction();
    let captured: { headers: Record<string, string>; body: Buffer } | null = null;
    const app = await mount(async (req) => {
      captured = { headers: req.headers as Record<string, string>, body: req.rawBody };
      return handler(req);
    });
    try {
      expect(await fake.deliver(`${app.url}/?job=${JOB_ID}`, p)).toBe(202);
      const tampered = Buffer.from(captured!.body.toString().replace('"succeeded"', '"failed"'));
      const out = await handler({ rawBody: tampered, headers: captured!.headers, query: { job: JOB_ID } });
      expect(out.status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('a late callback for a gone job is acknowledged (200); a store failure asks Replicate to retry (500)', async () => {
    const p = await finishedPrediction();
    await withApp(
      () => {
        throw new JobkitError('NOT_FOUND', 'no such job');
      },
      async (url) => expect(await fake.deliver(`${url}/?job=${JOB_ID}`, p)).toBe(200),
    );
    await withApp(
      () => {
        throw new JobkitError('STORAGE_FAILED', 'database is down');
      },
      async (url) => expect(await fake.deliver(`${url}/?job=${JOB_ID}`, p)).toBe(500),
    );
  });

  it('honours an injected clock and tolerance', async () => {
    const p = await finishedPrediction();
    const tenMinutesAgo = { now: () => new Date(Date.now() - 600_000) };
    const handler = createReplicateWebhookHandler({ secrets: fake.webhookSecret, wake: () => {}, clock: tenMinutesAgo, toleranceSec: 60 });
    const app = await mount(handler);
    try {
      expect(await fake.deliver(`${app.url}/?job=${JOB_ID}`, p)).toBe(401);
      expect(await fake.deliver(`${app.url}/?job=${JOB_ID}`, p, { timestampSec: Math.floor(Date.now() / 1000) - 590 })).toBe(202);
    } finally {
      await app.close();
    }
  });

  it('refuses to be built without a secret', () => {
    expect(() => createReplicateWebhookHandler({ secrets: [], wake: () => {} })).toThrow(/secret/);
    expect(() => createReplicateWebhookHandler({ secrets: '', wake: () => {} })).toThrow(/secret/);
  });
});
