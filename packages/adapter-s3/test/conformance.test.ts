import { afterAll, beforeAll } from 'vitest';
import { runObjectStoreConformance } from 'jobkit/testing';
import type { PresignedUrl } from 'jobkit';
import { createS3ObjectStore, type S3ObjectStore } from '../src/index.js';
import { startS3TestServer, type S3TestServer } from './support/s3-server.js';

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3TestServer();
});
afterAll(async () => {
  await server?.close();
});

let n = 0;
/** An upload as any HTTP client does it: the presigned URL with the headers it came with. */
const upload = async (p: PresignedUrl, body: Buffer): Promise<boolean> =>
  (await fetch(p.url, { method: p.method, headers: p.headers, body: new Uint8Array(body) })).ok;

runObjectStoreConformance({
  name: 's3 (s3rver, no prefix)',
  create: () => createS3ObjectStore({ bucket: server.bucket, clientConfig: server.clientConfig }),
  destroy: (store) => (store as S3ObjectStore).close(),
  upload,
});

runObjectStoreConformance({
  name: 's3 (s3rver, fresh prefix per test)',
  create: () => createS3ObjectStore({ bucket: server.bucket, prefix: `tenants/t${++n}`, clientConfig: server.clientConfig }),
  destroy: (store) => (store as S3ObjectStore).close(),
  upload,
});
