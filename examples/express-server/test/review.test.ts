/**
 * Issue 14 in the reference server: JOBKIT_REVIEW decides which composited jobs wait in REVIEW, and with
 * Replicate configured the segmenter is local first (sharp), hosted (Replicate) only for the photos the
 * studio segmenter refuses, and the sharp quality gate scores every cut (hosted ones too) — checked end to end
 * against the Replicate contract fake.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_REVIEW_MIN_SCORE, signWebhook, type Job, type JobEvent, type JobStatus } from 'jobkit';
import { startFakeReplicate, type FakeReplicate } from '../../../packages/provider-replicate/test/support/fake-replicate.js';
import { fluxModel, segmentModel } from '../../../packages/provider-replicate/test/support/helpers.js';
import { loadConfig } from '../src/config.js';
import { startServer, type RunningServer } from '../src/server.js';
import { capturingLogger } from './helpers.js';

const TOKEN = 'review-test-api-token-0123456789';
const SECRET = 'review-test-webhook-secret-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

let dir = '';
let photos: http.Server;
const photoBytes = new Map<string, Buffer>();
const running: RunningServer[] = [];

/** A studio shot: a coloured product on a white sweep. */
async function studioPhoto(color: string): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="600" height="600"><rect width="600" height="600" fill="#ffffff"/><circle cx="300" cy="320" r="170" fill="${color}"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 92 }).toBuffer();
}

/** Not a studio shot (no clean backdrop anywhere): the studio segmenter refuses it. */
async function busyPhoto(): Promise<Buffer> {
  const raw = Buffer.alloc(600 * 600 * 3);
  let seed = 7;
  for (let i = 0; i < raw.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    raw[i] = seed >> 23;
  }
  return sharp(raw, { raw: { width: 600, height: 600, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'jobkit-review-'));
  photoBytes.set('MUG-R1.jpg', await studioPhoto('#b03a2e'));
  photoBytes.set('MUG-R2.jpg', await studioPhoto('#1e8449'));
  photoBytes.set('SCENE-R3.jpg', await busyPhoto());
  photoBytes.set('MUG-R4.jpg', await studioPhoto('#7d3c98'));
  photos = http.createServer((req, res) => {
    const bytes = photoBytes.get(path.basename(req.url ?? ''));
    if (!bytes) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'image/jpeg' }).end(bytes);
  });
  await new Promise<void>((r) => photos.listen(0, '127.0.0.1', r));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await new Promise((r) => photos?.close(r));
  await rm(dir, { recursive: true, force: true });
});

async function start(env: Record<string, string>, options: Parameters<typeof startServer>[2] = {}): Promise<RunningServer> {
  const server = await startServer(
    loadConfig({
      PORT: '0',
      JOBKIT_DATA_DIR: path.join(dir, `data-${running.length}-${Date.now()}`),
      JOBKIT_API_TOKEN: TOKEN,
      JOBKIT_WEBHOOK_SECRET: SECRET,
      JOBKIT_ALLOW_PRIVATE_IMAGE_URLS: '1',
      ...env,
    }),
    capturingLogger().logger,
    options,
  );
  running.push(server);
  return server;
}

async function deliver(server: RunningServer, file: string): Promise<Job> {
  const bytes = photoBytes.get(file)!;
  const body = JSON.stringify({
    sku: file.replace('.jpg', ''),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    imageUrl: `http://127.0.0.1:${(photos.address() as AddressInfo).port}/${file}`,
  });
  const res = await fetch(`${server.api}/webhooks/3jms/images`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signWebhook({ body, secret: SECRET }) },
    body,
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { job: Job }).job;
}

async function getJob(server: RunningServer, id: string): Promise<Job> {
  return ((await (await fetch(`${server.api}/jobs/${id}`, { headers: auth })).json()) as { job: Job }).job;
}

async function waitForStatus(server: RunningServer, id: string, statuses: JobStatus[], timeoutMs = 120_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await getJob(server, id);
    if (statuses.includes(job.status)) return job;
    if (job.status === 'FAILED' || job.status === 'DONE' || Date.now() > deadline)
      throw new Error(`job ${id} is ${job.status} (${job.errorCode ?? ''} ${job.errorMessage ?? ''}), expected ${statuses.join('/')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function history(server: RunningServer, id: string): Promise<JobStatus[]> {
  const { events } = (await (await fetch(`${server.api}/jobs/${id}/events`, { headers: auth })).json()) as { events: JobEvent[] };
  return events.map((e) => e.to);
}

describe('JOBKIT_REVIEW', () => {
  it('defaults to doubtful with the documented threshold; the service gets the policy', async () => {
    const server = await start({ JOBKIT_WORKER: '0' });
    expect(server.runtime.service.review).toEqual({ policy: 'doubtful', minScore: DEFAULT_REVIEW_MIN_SCORE, hostedSegmenter: false });
    const strict = await start({ JOBKIT_WORKER: '0', JOBKIT_REVIEW: 'always', JOBKIT_REVIEW_MIN_SCORE: '0.8' });
    expect(strict.runtime.service.review).toEqual({ policy: 'always', minScore: 0.8, hostedSegmenter: false });
  });

  it('always: a job waits in REVIEW until approved, then reaches the storefront', { timeout: 180_000 }, async () => {
    const server = await start({ JOBKIT_REVIEW: 'always', JOBKIT_WORKER_CONCURRENCY: '1' });
    const created = await deliver(server, 'MUG-R1.jpg');
    const held = await waitForStatus(server, created.id, ['REVIEW']);
    expect(held.compositeKeys.length).toBeGreaterThan(0);
    expect(held.storefrontMediaIds).toEqual([]);
    // Approving is the only way on.
    expect((await fetch(`${server.api}/jobs/${created.id}/approve`, { method: 'POST', headers: auth })).status).toBe(200);
    const done = await waitForStatus(server, created.id, ['DONE']);
    expect(done.storefrontMediaIds.length).toBeGreaterThan(0);
    expect(await history(server, created.id)).toEqual(expect.arrayContaining(['COMPOSITING', 'REVIEW', 'SHOPIFY_PUSH', 'DONE']));
  });

  it('never: a job goes from COMPOSITING straight to the storefront', { timeout: 180_000 }, async () => {
    const server = await start({ JOBKIT_REVIEW: 'never', JOBKIT_WORKER_CONCURRENCY: '1' });
    const created = await deliver(server, 'MUG-R2.jpg');
    await waitForStatus(server, created.id, ['DONE']);
    expect(await history(server, created.id)).not.toContain('REVIEW');
  });
});

describe('with Replicate configured: local first, hosted when the studio segmenter refuses', () => {
  let fake: FakeReplicate;
  beforeAll(async () => {
    fake = await startFakeReplicate();
    // The hosted cutout: the photo with a round alpha mask, as background removers return it.
    fake.addModel(
      segmentModel({
        run: async (_input, { image }) => {
          const mask = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="600" height="600"><circle cx="300" cy="300" r="200" fill="#fff"/></svg>');
          const cutout = await sharp(image!)
            .ensureAlpha()
            .composite([{ input: mask, blend: 'dest-in' }])
            .png()
            .toBuffer();
          return { outputs: [{ bytes: cutout, contentType: 'image/png' }], single: true, predictTimeSec: 2 };
        },
      }),
    );
    const background = await sharp({ create: { width: 1024, height: 1024, channels: 3, background: '#ececec' } })
      .png()
      .toBuffer();
    fake.addModel(
      fluxModel({
        run: (input) => ({
          outputs: Array.from({ length: Number(input['num_outputs'] ?? 1) }, () => ({ bytes: background, contentType: 'image/png' })),
          predictTimeSec: 0.6,
        }),
      }),
    );
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('uses the chain and lets a reviewer ask for the hosted segmenter', async () => {
    const server = await start({ JOBKIT_WORKER: '0', REPLICATE_API_TOKEN: fake.token }, { replicateClient: { baseUrl: fake.baseUrl } });
    expect(server.runtime.adapters.segmenter).toMatch(/^sharp-studio\+replicate/);
    expect(server.runtime.service.review.hostedSegmenter).toBe(true);
    const plain = await start({ JOBKIT_WORKER: '0' });
    expect(plain.runtime.adapters.segmenter).toBe('sharp-studio');
  });

  it('a reviewer rejects a local cut with retryWith hosted: Replicate cuts it again, and it waits for approval again', { timeout: 240_000 }, async () => {
    const server = await start(
      { JOBKIT_REVIEW: 'always', JOBKIT_WORKER_CONCURRENCY: '1', REPLICATE_API_TOKEN: fake.token },
      { replicateClient: { baseUrl: fake.baseUrl } },
    );
    const before = segmentCreates();
    const id = (await deliver(server, 'MUG-R2.jpg')).id;
    const local = await waitForStatus(server, id, ['REVIEW']);
    expect(segmentCreates()).toBe(before);
    const post = (action: string, body?: unknown) =>
      fetch(`${server.api}/jobs/${id}/${action}`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    expect((await post('reject', { reason: 'the handle is cut off', retryWith: 'hosted' })).status).toBe(200);
    // Straight back to segmenting (the reject answered after the transition), then composited and held again.
    const hosted = await waitForStatus(server, id, ['REVIEW']);
    expect(segmentCreates()).toBe(before + 1);
    expect(hosted.costUsd).toBeGreaterThan(local.costUsd);
    expect(hosted.quality).not.toBeNull();
    expect(await history(server, id)).toEqual(expect.arrayContaining(['REVIEW', 'SEGMENTING']));
    expect((await post('approve')).status).toBe(200);
    await waitForStatus(server, id, ['DONE']);
  });

  const segmentCreates = () => [...fake.predictions.values()].filter((p) => p.model === '851-labs/background-remover').length;

  it('a studio shot is cut locally (Replicate segments nothing); a refused photo is cut by Replicate once, its cost recorded', {
    timeout: 240_000,
  }, async () => {
    const server = await start(
      { JOBKIT_REVIEW: 'never', JOBKIT_WORKER_CONCURRENCY: '1', REPLICATE_API_TOKEN: fake.token },
      { replicateClient: { baseUrl: fake.baseUrl } },
    );
    const before = segmentCreates();
    const studio = await waitForStatus(server, (await deliver(server, 'MUG-R4.jpg')).id, ['DONE']);
    expect(segmentCreates()).toBe(before);

    const scene = await waitForStatus(server, (await deliver(server, 'SCENE-R3.jpg')).id, ['DONE']);
    expect(segmentCreates()).toBe(before + 1);
    // The hosted cut comes without a score: the sharp quality gate scored it, as it does every cut.
    expect(studio.quality).not.toBeNull();
    expect(scene.quality, JSON.stringify(scene)).toMatchObject({ score: expect.any(Number), reasons: expect.any(Array) });
    // Paid: the hosted cut (2 s of hardware) and the backgrounds; the studio shot paid only for backgrounds.
    expect(scene.costUsd).toBeGreaterThan(studio.costUsd);
  });
});
