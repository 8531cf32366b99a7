/**
 * The core worker end to end on S3: memory JobStore + this S3 ObjectStore (on the SigV4-verifying test
 * server) + the fake providers from jobkit/testing. Every output must land in the bucket under the prefix,
 * and the presigned URL a hosted provider would receive must serve the original's bytes.
 */
import { createHash } from 'node:crypto';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createJobService, createMemoryJobStore, createWorker, keys, type Segmenter } from 'jobkit';
import { createFakeBackgroundGenerator, createFakeCompositor, createFakeSegmenter, createFakeStorefront } from 'jobkit/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createS3ObjectStore, type S3ObjectStore } from '../src/index.js';
import { startS3TestServer, type S3TestServer } from './support/s3-server.js';

let server: S3TestServer;
let objects: S3ObjectStore;
beforeAll(async () => {
  server = await startS3TestServer();
  objects = createS3ObjectStore({ bucket: server.bucket, prefix: 'e2e', clientConfig: server.clientConfig });
});
afterAll(async () => {
  objects?.close();
  await server?.close();
});

it('runs uploaded photos to DONE with every output stored in S3', async () => {
  const service = createJobService({ store: createMemoryJobStore() });
  const fake = createFakeSegmenter();
  const viaUrl: Array<{ key: string; same: boolean }> = [];
  // Like a hosted segmenter: fetch the original through the presigned URL the worker hands out.
  const segmenter: Segmenter = {
    name: fake.name,
    async segment(req, ctx) {
      const url = await req.original.publicUrl(600);
      expect(url).not.toBeNull();
      const res = await fetch(url!);
      viaUrl.push({ key: req.original.key, same: Buffer.from(await res.arrayBuffer()).equals(await req.original.bytes()) });
      return fake.segment(req, ctx);
    },
  };
  const storefront = createFakeStorefront();
  const worker = createWorker({
    service,
    objects,
    segmenter,
    backgrounds: createFakeBackgroundGenerator(),
    compositor: createFakeCompositor(),
    storefront,
    concurrency: 3,
    pollIntervalMs: 20,
  });

  const jobIds: string[] = [];
  for (let i = 0; i < 3; i++) {
    const bytes = Buffer.from(`photo ${i} `.repeat(1000));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const key = `originals/SKU-${i}/${sha256}.jpg`;
    await objects.put(key, bytes, { contentType: 'image/jpeg' });
    for (const theme of ['default', 'studio']) {
      jobIds.push((await service.createJob({ sku: `SKU-${i}`, sha256, originalKey: key, theme, autoStart: true })).job.id);
    }
  }
  await worker.runUntilIdle();

  const recorded = new Set<string>();
  for (const id of jobIds) {
    const job = (await service.getJob(id))!;
    expect(job, `${id}: ${job.errorCode} ${job.errorMessage}`).toMatchObject({ status: 'DONE' });
    // The cutout's quality verdict is stored beside the shared mask.
    const outputs = [
      job.originalKey!,
      job.maskKey!,
      keys.maskQuality(job),
      ...job.backgroundKeys,
      ...job.compositeKeys,
      ...job.thumbnailKeys,
      ...job.derivativeKeys,
    ];
    expect(job.compositeKeys.length).toBeGreaterThan(0);
    for (const key of outputs) {
      expect(await objects.exists(key), key).toBe(true);
      recorded.add(key);
    }
  }
  // Everything is really in the bucket, under the prefix — and nothing else is.
  const raw = new S3Client(server.clientConfig);
  const listed = await raw.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: 'e2e/' }));
  raw.destroy();
  const inBucket = new Set((listed.Contents ?? []).map((o) => o.Key!.slice('e2e/'.length)));
  expect(inBucket).toEqual(recorded);
  // One segmentation per photo (shared across themes), each fetched through a working presigned URL.
  expect(viaUrl).toHaveLength(3);
  expect(viaUrl.every((v) => v.same)).toBe(true);
  expect(server.rejected).toEqual([]);
});
