/**
 * Transient failures, driven through the real SDK against a real HTTP server on 127.0.0.1 that answers the
 * way S3 does when it is overloaded or broken (and a port nobody listens on for network failures).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JobkitError } from 'jobkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3ObjectStore } from '../src/index.js';

interface Reply {
  status: number;
  code?: string;
  headers?: Record<string, string>;
}
let next: Reply = { status: 500 };
let requests = 0;
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    req.resume();
    const body = next.code
      ? `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${next.code}</Code><Message>${next.code} from test</Message><RequestId>r1</RequestId></Error>`
      : '';
    res.writeHead(next.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), ...next.headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const store = (url = endpoint) =>
  createS3ObjectStore({
    bucket: 'busy-bucket',
    clientConfig: { endpoint: url, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: 'AKIA1', secretAccessKey: 's' } },
  });

async function caught(p: Promise<unknown>): Promise<JobkitError> {
  try {
    await p;
  } catch (e) {
    if (JobkitError.is(e)) return e;
    throw new Error(`expected a JobkitError, got ${String(e)}`);
  }
  throw new Error('expected a rejection');
}

describe('transient S3 failures → retryable STORAGE_FAILED', () => {
  it.each([
    { status: 503, code: 'SlowDown' },
    { status: 503, code: undefined },
    { status: 500, code: 'InternalError' },
    { status: 502, code: undefined },
    { status: 429, code: 'TooManyRequests' },
  ])('HTTP $status $code', async (reply) => {
    next = reply;
    const s = store();
    for (const op of [() => s.put('a/b.jpg', Buffer.from('x')), () => s.get('a/b.jpg'), () => s.head('a/b.jpg'), () => s.delete('a/b.jpg')]) {
      const e = await caught(op());
      expect(e).toMatchObject({ code: 'STORAGE_FAILED', retryable: true, details: { bucket: 'busy-bucket' } });
      expect(e.message).toContain('retry later');
    }
    s.close();
  });

  it('400 RequestTimeout (the upload socket idled) is retryable', async () => {
    next = { status: 400, code: 'RequestTimeout' };
    const s = store();
    expect(await caught(s.put('a/b.jpg', Buffer.from('x')))).toMatchObject({ code: 'STORAGE_FAILED', retryable: true });
    s.close();
  });

  it('passes a Retry-After on to the retry policy', async () => {
    next = { status: 503, code: 'SlowDown', headers: { 'retry-after': '7' } };
    const s = store();
    expect(await caught(s.get('a/b.jpg'))).toMatchObject({ code: 'STORAGE_FAILED', retryable: true, retryAfterMs: 7000 });
    s.close();
  });

  it('network failure (nothing listening) → retryable, naming the error code', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((r) => dead.close(r));
    const s = store(`http://127.0.0.1:${port}`);
    const e = await caught(s.put('a/b.jpg', Buffer.from('x')));
    expect(e).toMatchObject({ code: 'STORAGE_FAILED', retryable: true });
    expect(e.message).toContain('ECONNREFUSED');
    s.close();
  });
});

describe('permanent S3 failures → non-retryable', () => {
  it.each(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AllAccessDisabled'])('403 %s names the bucket', async (code) => {
    next = { status: 403, code };
    const s = store();
    const e = await caught(s.put('a/b.jpg', Buffer.from('x')));
    expect(e).toMatchObject({ code: 'STORAGE_FAILED', retryable: false, details: { s3Code: code, bucket: 'busy-bucket' } });
    expect(e.message).toContain('"busy-bucket"');
    s.close();
  });

  it('a bare 403 on HEAD (no error document) is non-retryable too', async () => {
    next = { status: 403 };
    const s = store();
    expect(await caught(s.head('a/b.jpg'))).toMatchObject({ code: 'STORAGE_FAILED', retryable: false, details: { httpStatus: 403 } });
    s.close();
  });

  it('other 4xx (e.g. EntityTooLarge) are not retried', async () => {
    next = { status: 400, code: 'EntityTooLarge' };
    const s = store();
    expect(await caught(s.put('a/b.jpg', Buffer.from('x')))).toMatchObject({ code: 'STORAGE_FAILED', retryable: false });
    s.close();
  });

  it('NoSuchKey → NOT_FOUND; the SDK does not retry it', async () => {
    next = { status: 404, code: 'NoSuchKey' };
    const before = requests;
    const s = store();
    expect(await caught(s.get('a/b.jpg'))).toMatchObject({ code: 'NOT_FOUND', retryable: false });
    expect(requests - before).toBe(1);
    s.close();
  });
});
