import { createHash, randomBytes } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { JobkitError, MAX_PRESIGN_SEC } from 'jobkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createS3ObjectStore, type S3ObjectStore } from '../src/index.js';
import { startS3TestServer, type S3TestServer } from './support/s3-server.js';

let server: S3TestServer;
const stores: S3ObjectStore[] = [];
const clients: S3Client[] = [];

beforeAll(async () => {
  server = await startS3TestServer();
});
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const c of clients.splice(0)) c.destroy();
});
afterAll(async () => {
  await server?.close();
});

function store(extra: { prefix?: string; bucket?: string; clientConfig?: S3TestServer['clientConfig'] } = {}): S3ObjectStore {
  const s = createS3ObjectStore({
    bucket: extra.bucket ?? server.bucket,
    clientConfig: extra.clientConfig ?? server.clientConfig,
    ...(extra.prefix ? { prefix: extra.prefix } : {}),
  });
  stores.push(s);
  return s;
}

/** A raw SDK client with the SDK's own defaults (WHEN_SUPPORTED checksums), to look behind the store. */
function rawClient(): S3Client {
  const c = new S3Client(server.clientConfig);
  clients.push(c);
  return c;
}

async function caught(p: Promise<unknown>): Promise<JobkitError> {
  try {
    await p;
  } catch (e) {
    if (JobkitError.is(e)) return e;
    throw new Error(`expected a JobkitError, got ${String(e)}`);
  }
  throw new Error('expected a rejection');
}

/** Every store operation that talks to the server, as thunks (so no rejection goes unobserved). */
const allOps = (s: S3ObjectStore): Array<() => Promise<unknown>> => [
  () => s.put('e/x.jpg', Buffer.from('x')),
  () => s.get('e/x.jpg'),
  () => s.getStream('e/x.jpg'),
  () => s.head('e/x.jpg'),
  () => s.exists('e/x.jpg'),
  () => s.delete('e/x.jpg'),
];

const checksumParams = (url: string): string[] => [...new URL(url).searchParams.keys()].filter((k) => /^x-amz-(checksum-|sdk-checksum-algorithm$)/i.test(k));

describe('bytes', () => {
  it('round-trips 5 MB exactly through put/get/getStream, with content type and cache control', async () => {
    const s = store();
    const bytes = randomBytes(5 * 1024 * 1024 + 123);
    await s.put('originals/SKU-9/big.jpg', bytes, { contentType: 'image/jpeg', cacheControl: 'public, max-age=31536000, immutable' });
    expect((await s.get('originals/SKU-9/big.jpg')).equals(bytes)).toBe(true);
    const chunks: Buffer[] = [];
    for await (const c of await s.getStream('originals/SKU-9/big.jpg')) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    expect(await s.head('originals/SKU-9/big.jpg')).toMatchObject({ key: 'originals/SKU-9/big.jpg', size: bytes.length, contentType: 'image/jpeg' });
    const raw = await rawClient().send(new HeadObjectCommand({ Bucket: server.bucket, Key: 'originals/SKU-9/big.jpg' }));
    expect(raw.CacheControl).toBe('public, max-age=31536000, immutable');
  });

  it('defaults the content type from the key extension', async () => {
    const s = store();
    await s.put('masks/S/x.png', Buffer.from('png'));
    expect((await s.head('masks/S/x.png'))?.contentType).toBe('image/png');
  });

  it('missing key: get and getStream → NOT_FOUND naming the key, head → null, exists → false', async () => {
    const s = store();
    for (const op of [() => s.get('no/such.jpg'), () => s.getStream('no/such.jpg')]) {
      const e = await caught(op());
      expect(e.code).toBe('NOT_FOUND');
      expect(e.retryable).toBe(false);
      expect(e.message).toContain('no/such.jpg');
    }
    expect(await s.head('no/such.jpg')).toBeNull();
    expect(await s.exists('no/such.jpg')).toBe(false);
    await s.delete('no/such.jpg');
  });
});

describe('presigned URLs with plain fetch', () => {
  it('PUT (with the returned headers) then GET returns the same bytes and keeps the content type', async () => {
    const s = store({ prefix: 'presign-rt' });
    const bytes = randomBytes(300_000);
    const put = await s.presign('originals/SKU-1/up.png', { method: 'PUT', expiresInSec: 300, contentType: 'image/png' });
    expect(put.headers).toEqual({ 'content-type': 'image/png' });
    const up = await fetch(put.url, { method: 'PUT', headers: put.headers, body: bytes });
    expect(up.status).toBe(200);
    const get = await s.presign('originals/SKU-1/up.png', { method: 'GET', expiresInSec: 300 });
    const down = await fetch(get.url);
    expect(down.status).toBe(200);
    expect(Buffer.from(await down.arrayBuffer()).equals(bytes)).toBe(true);
    expect(down.headers.get('content-type')).toBe('image/png');
    expect((await s.get('originals/SKU-1/up.png')).equals(bytes)).toBe(true);
  });

  it('carries no x-amz-checksum-* or x-amz-sdk-checksum-algorithm parameter (the SDK default does)', async () => {
    const put = await store().presign('p/no-crc.jpg', { method: 'PUT', expiresInSec: 60, contentType: 'image/jpeg' });
    expect(checksumParams(put.url)).toEqual([]);
    const get = await store().presign('p/no-crc.jpg', { method: 'GET', expiresInSec: 60 });
    expect(checksumParams(get.url)).toEqual([]);
    // Control: the SDK's own defaults put an (empty-body) CRC32 into the URL, which is what breaks uploads.
    const sdkDefault = await getSignedUrl(rawClient(), new PutObjectCommand({ Bucket: server.bucket, Key: 'p/no-crc.jpg', ContentType: 'image/jpeg' }), {
      expiresIn: 60,
    });
    expect(checksumParams(sdkDefault)).not.toEqual([]);
  });

  it('strips checksum parameters even with a caller-supplied client on SDK defaults, and the upload works', async () => {
    const s = createS3ObjectStore({ bucket: server.bucket, client: rawClient() });
    const put = await s.presign('p/own-client.jpg', { method: 'PUT', expiresInSec: 60, contentType: 'image/jpeg' });
    expect(checksumParams(put.url)).toEqual([]);
    expect((await fetch(put.url, { method: 'PUT', headers: put.headers, body: Buffer.from('jpeg!') })).status).toBe(200);
    expect((await s.get('p/own-client.jpg')).toString()).toBe('jpeg!');
    const get = await s.presign('p/own-client.jpg', { method: 'GET', expiresInSec: 60 });
    expect(checksumParams(get.url)).toEqual([]);
    expect(await (await fetch(get.url)).text()).toBe('jpeg!');
  });

  it('the signed content type is enforced: another type → 403', async () => {
    const put = await store().presign('p/typed.jpg', { method: 'PUT', expiresInSec: 60, contentType: 'image/jpeg' });
    const res = await fetch(put.url, { method: 'PUT', headers: { 'content-type': 'text/html' }, body: '<script>' });
    expect(res.status).toBe(403);
    expect(await store().exists('p/typed.jpg')).toBe(false);
  });

  it('a tampered signature, key or expiry → 403 SignatureDoesNotMatch', async () => {
    const s = store();
    await s.put('p/secret.jpg', Buffer.from('secret'));
    await s.put('p/other.jpg', Buffer.from('other'));
    const { url } = await s.presign('p/secret.jpg', { method: 'GET', expiresInSec: 60 });
    expect((await fetch(url)).status).toBe(200);
    const u = new URL(url);
    const sig = u.searchParams.get('X-Amz-Signature')!;
    const flipped = new URL(url);
    flipped.searchParams.set('X-Amz-Signature', (sig[0] === '0' ? '1' : '0') + sig.slice(1));
    const otherKey = new URL(url.replace('p/secret.jpg', 'p/other.jpg'));
    const longer = new URL(url);
    longer.searchParams.set('X-Amz-Expires', '3600');
    const before = server.rejected.length;
    for (const bad of [flipped, otherKey, longer]) {
      const res = await fetch(bad);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('SignatureDoesNotMatch');
    }
    expect(server.rejected.slice(before).map((r) => r.code)).toEqual(['SignatureDoesNotMatch', 'SignatureDoesNotMatch', 'SignatureDoesNotMatch']);
  });

  it('an expired URL → 403 (signed in the past, and really waiting out a 1 s URL)', async () => {
    const past = createS3ObjectStore({ bucket: server.bucket, clientConfig: server.clientConfig, clock: { now: () => new Date(Date.now() - 2 * 3600_000) } });
    stores.push(past);
    await past.put('p/old.jpg', Buffer.from('old'));
    const old = await past.presign('p/old.jpg', { method: 'GET', expiresInSec: 60 });
    expect(Date.parse(old.expiresAt)).toBeLessThan(Date.now());
    const res = await fetch(old.url);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('expired');

    const short = await store().presign('p/old.jpg', { method: 'GET', expiresInSec: 1 });
    expect((await fetch(short.url)).status).toBe(200);
    await new Promise((r) => setTimeout(r, Date.parse(short.expiresAt) - Date.now() + 1100));
    expect((await fetch(short.url)).status).toBe(403);
  });

  it('expiresAt is exact and the expiry range is validated (1 s … 7 days, integers)', async () => {
    const fixed = new Date('2026-03-01T10:00:00.750Z');
    const s = createS3ObjectStore({ bucket: server.bucket, clientConfig: server.clientConfig, clock: { now: () => fixed } });
    stores.push(s);
    const week = await s.presign('p/x.jpg', { method: 'GET', expiresInSec: MAX_PRESIGN_SEC });
    expect(week.expiresAt).toBe('2026-03-08T10:00:00.000Z');
    expect(new URL(week.url).searchParams.get('X-Amz-Expires')).toBe(String(MAX_PRESIGN_SEC));
    expect(new URL(week.url).searchParams.get('X-Amz-Date')).toBe('20260301T100000Z');
    expect((await s.presign('p/x.jpg', { method: 'PUT', expiresInSec: 1 })).expiresAt).toBe('2026-03-01T10:00:01.000Z');
    for (const expiresInSec of [0, -5, 1.5, MAX_PRESIGN_SEC + 1, Number.NaN]) {
      const e = await caught(s.presign('p/x.jpg', { method: 'GET', expiresInSec }));
      expect(e.code).toBe('INVALID_INPUT');
      expect(e.details).toEqual({ field: 'expiresInSec' });
    }
    expect((await caught(s.presign('p/x.jpg', { method: 'PUT', expiresInSec: 60, contentType: 'image/jpeg\r\nx: y' }))).details).toEqual({
      field: 'contentType',
    });
  });
});

describe('presigned PUTs bound to their bytes (x-amz-checksum-sha256)', () => {
  const sha = (b: Buffer) => createHash('sha256').update(b).digest();
  const photo = Buffer.from('the real product photo');
  const originalKey = `originals/SKU-1/${sha(photo).toString('hex')}.jpg`;

  it('the test server checks x-amz-checksum-sha256 like S3 (BadDigest, InvalidRequest), for SDK requests too', async () => {
    const c = rawClient();
    await c.send(new PutObjectCommand({ Bucket: server.bucket, Key: 'cs/ok.bin', Body: photo, ChecksumSHA256: sha(photo).toString('base64') }));
    const bad = await c
      .send(new PutObjectCommand({ Bucket: server.bucket, Key: 'cs/bad.bin', Body: Buffer.from('other'), ChecksumSHA256: sha(photo).toString('base64') }))
      .catch((e: Error) => e);
    expect((bad as Error).name).toBe('BadDigest');
    const malformed = await c
      .send(new PutObjectCommand({ Bucket: server.bucket, Key: 'cs/bad.bin', Body: photo, ChecksumSHA256: 'not-base64' }))
      .catch((e: Error) => e);
    expect((malformed as Error).name).toBe('InvalidRequest');
    expect(await store().exists('cs/bad.bin')).toBe(false);
  });

  it('an original key is presigned with its sha256 as a signed header the uploader must send', async () => {
    const put = await store().presign(originalKey, { method: 'PUT', expiresInSec: 300, contentType: 'image/jpeg' });
    expect(put.headers).toEqual({ 'content-type': 'image/jpeg', 'x-amz-checksum-sha256': sha(photo).toString('base64') });
    expect(new URL(put.url).searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual(['content-type', 'host', 'x-amz-checksum-sha256']);
    expect(checksumParams(put.url)).toEqual([]);
  });

  it('S3 refuses other bytes through that URL for its whole life, however the uploader spells the header', async () => {
    const s = store();
    const put = await s.presign(originalKey, { method: 'PUT', expiresInSec: 300, contentType: 'image/jpeg' });
    expect((await fetch(put.url, { method: 'PUT', headers: put.headers, body: photo })).status).toBe(200);
    const evil = Buffer.from('<svg onload=alert(1)>');
    const before = server.rejected.length;
    // The signed checksum as issued: S3 computes the body's and compares.
    const asIssued = await fetch(put.url, { method: 'PUT', headers: put.headers, body: evil });
    expect(asIssued.status).toBe(400);
    expect(await asIssued.text()).toContain('BadDigest');
    // The checksum of the evil bytes instead, or no checksum: the signature no longer matches.
    const tampered: Array<Record<string, string>> = [
      { ...put.headers, 'x-amz-checksum-sha256': sha(evil).toString('base64') },
      { 'content-type': 'image/jpeg' },
    ];
    for (const headers of tampered) {
      expect((await fetch(put.url, { method: 'PUT', headers, body: evil })).status).toBe(403);
    }
    expect(server.rejected.slice(before).map((r) => r.code)).toEqual(['BadDigest', 'SignatureDoesNotMatch', 'SignatureDoesNotMatch']);
    expect((await s.get(originalKey)).equals(photo)).toBe(true);
  });

  it('PresignOptions.sha256 binds any key; a contradicting sha256 for an original key is INVALID_INPUT', async () => {
    const s = store({ prefix: 'bound' });
    const bytes = randomBytes(1000);
    const put = await s.presign('p/bound.bin', { method: 'PUT', expiresInSec: 60, sha256: sha(bytes).toString('hex') });
    expect(put.headers).toEqual({ 'x-amz-checksum-sha256': sha(bytes).toString('base64') });
    expect((await fetch(put.url, { method: 'PUT', headers: put.headers, body: randomBytes(1000) })).status).toBe(400);
    expect((await fetch(put.url, { method: 'PUT', headers: put.headers, body: bytes })).status).toBe(200);
    expect((await s.get('p/bound.bin')).equals(bytes)).toBe(true);
    expect(await caught(s.presign(originalKey, { method: 'PUT', expiresInSec: 60, sha256: 'b'.repeat(64) }))).toMatchObject({
      code: 'INVALID_INPUT',
      details: { field: 'sha256' },
    });
    // Unbound keys stay unbound: other keys are presigned as before.
    expect((await s.presign('masks/SKU-1/x.png', { method: 'PUT', expiresInSec: 60, contentType: 'image/png' })).headers).toEqual({
      'content-type': 'image/png',
    });
  });

  it('keeps the binding with a caller-supplied client on SDK default checksums (only the CRC32 is stripped)', async () => {
    const s = createS3ObjectStore({ bucket: server.bucket, client: rawClient() });
    const put = await s.presign(originalKey, { method: 'PUT', expiresInSec: 60, contentType: 'image/jpeg' });
    expect(checksumParams(put.url)).toEqual([]);
    expect(put.headers['x-amz-checksum-sha256']).toBe(sha(photo).toString('base64'));
    expect((await fetch(put.url, { method: 'PUT', headers: put.headers, body: Buffer.from('nope') })).status).toBe(400);
    expect((await fetch(put.url, { method: 'PUT', headers: put.headers, body: photo })).status).toBe(200);
  });
});

describe('prefix', () => {
  it('isolates stores that share a bucket, and stores under {prefix}/', async () => {
    const a = store({ prefix: 'tenant-a' });
    const b = store({ prefix: 'tenant-b/' });
    expect(b.prefix).toBe('tenant-b');
    await a.put('k/photo.jpg', Buffer.from('A'));
    expect(await b.exists('k/photo.jpg')).toBe(false);
    expect(await caught(b.get('k/photo.jpg'))).toMatchObject({ code: 'NOT_FOUND' });
    await b.put('k/photo.jpg', Buffer.from('BB'));
    expect((await a.get('k/photo.jpg')).toString()).toBe('A');
    expect((await b.get('k/photo.jpg')).toString()).toBe('BB');
    await a.delete('k/photo.jpg');
    expect((await b.get('k/photo.jpg')).toString()).toBe('BB');
    // Where it really is in the bucket:
    const root = store();
    expect((await root.get('tenant-b/k/photo.jpg')).toString()).toBe('BB');
    expect(await root.exists('k/photo.jpg')).toBe(false);
    // Presigned URLs point inside the prefix too.
    const { url } = await b.presign('k/photo.jpg', { method: 'GET', expiresInSec: 60 });
    expect(new URL(url).pathname).toBe(`/${server.bucket}/tenant-b/k/photo.jpg`);
    expect(await (await fetch(url)).text()).toBe('BB');
  });

  it('validates the prefix like a key', () => {
    for (const prefix of ['../up', '/abs', 'a//b', 'a/../b', 'a\\b', 'a/./b']) {
      expect(() => createS3ObjectStore({ bucket: server.bucket, prefix, clientConfig: server.clientConfig })).toThrow(
        expect.objectContaining({ code: 'INVALID_INPUT', details: { field: 'prefix' } }),
      );
    }
  });
});

describe('errors', () => {
  it('a wrong secret key → non-retryable STORAGE_FAILED naming the bucket, on every operation', async () => {
    const s = store({ clientConfig: { ...server.clientConfig, credentials: { accessKeyId: server.accessKeyId, secretAccessKey: 'not-the-secret' } } });
    for (const op of allOps(s)) {
      const e = await caught(op());
      expect(e).toMatchObject({ code: 'STORAGE_FAILED', retryable: false });
      expect(e.message).toContain(`"${server.bucket}"`);
      expect(e.details).toMatchObject({ bucket: server.bucket, httpStatus: 403 });
    }
    expect(server.rejected.at(-1)?.code).toBe('SignatureDoesNotMatch');
  });

  it('an unknown access key → non-retryable STORAGE_FAILED (InvalidAccessKeyId)', async () => {
    const s = store({ clientConfig: { ...server.clientConfig, credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' } } });
    const e = await caught(s.put('e/x.jpg', Buffer.from('x')));
    expect(e).toMatchObject({ code: 'STORAGE_FAILED', retryable: false, details: { s3Code: 'InvalidAccessKeyId' } });
    expect(e.message).toContain(server.bucket);
  });

  it('a missing bucket → non-retryable STORAGE_FAILED naming the bucket (also for head/exists)', async () => {
    const s = store({ bucket: 'no-such-bucket-here' });
    for (const op of allOps(s)) {
      const e = await caught(op());
      expect(e).toMatchObject({ code: 'STORAGE_FAILED', retryable: false });
      expect(e.message).toContain('"no-such-bucket-here"');
    }
  });

  it('rejects bad options with INVALID_INPUT naming the field', () => {
    expect(() => createS3ObjectStore({ bucket: 'Bad_Bucket', clientConfig: server.clientConfig })).toThrow(
      expect.objectContaining({ details: { field: 'bucket' } }),
    );
    expect(() => createS3ObjectStore({ bucket: '10.0.0.1', clientConfig: server.clientConfig })).toThrow(
      expect.objectContaining({ details: { field: 'bucket' } }),
    );
    const both = { bucket: 'ok-bucket', client: rawClient(), clientConfig: {} } as unknown as Parameters<typeof createS3ObjectStore>[0];
    expect(() => createS3ObjectStore(both)).toThrow(expect.objectContaining({ details: { field: 'client' } }));
    expect(() => createS3ObjectStore({ bucket: 'ok-bucket', publicUrls: 'yes' as unknown as boolean })).toThrow(
      expect.objectContaining({ details: { field: 'publicUrls' } }),
    );
  });
});

describe('configuration', () => {
  it('publicUrls is true by default and configurable', () => {
    expect(store().publicUrls).toBe(true);
    const priv = createS3ObjectStore({ bucket: server.bucket, clientConfig: server.clientConfig, publicUrls: false });
    stores.push(priv);
    expect(priv.publicUrls).toBe(false);
  });

  it('the client the store creates uses WHEN_REQUIRED checksums; explicit config wins', async () => {
    const s = store();
    expect(await s.client.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await s.client.config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
    expect(await s.client.config.forcePathStyle).toBe(true);
  });

  it('close() leaves a caller-supplied client usable', async () => {
    const client = rawClient();
    createS3ObjectStore({ bucket: server.bucket, client }).close();
    await client.send(new PutObjectCommand({ Bucket: server.bucket, Key: 'c/still-open.txt', Body: 'ok' }));
    const out = await client.send(new GetObjectCommand({ Bucket: server.bucket, Key: 'c/still-open.txt' }));
    expect(await out.Body?.transformToString()).toBe('ok');
  });
});
