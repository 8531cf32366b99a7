import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { buildSignedUrl, type Job } from 'jobkit';
import { errorOf, photo, type TestServer, useServers } from './support/servers.js';
import { TRANSPORTS } from './support/transports.js';

const server = useServers();

describe.each(TRANSPORTS)('$name', (t) => {
  const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

  /** A request with the path exactly as written (fetch would normalise "..", "%2e%2e"); in-process, as a Request would carry it. */
  async function rawRequest(s: TestServer, rawPath: string, method = 'GET'): Promise<{ status: number; body: string }> {
    if (!s.url.startsWith('http://127.0.0.1')) {
      const res = await s.fetch(`${s.url}${rawPath}`, { method });
      return { status: res.status, body: await res.text() };
    }
    const u = new URL(s.url);
    return new Promise((resolve, reject) => {
      const req = http.request({ host: u.hostname, port: u.port, method, path: rawPath }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  async function presigned(s: TestServer, kind = 'mask'): Promise<{ key: string; put: string; get: string; putHeaders: Record<string, string> }> {
    const { job } = (await (await s.deliver(photo())).json()) as { job: Job };
    await s.authed(`/jobs/${job.id}/start`, { method: 'POST', json: { driver: 'external' } });
    return (await (await s.authed(`/jobs/${job.id}/presign`, { method: 'POST', json: { kind } })).json()) as never;
  }

  describe('GET/PUT /files/*key (signed URLs of the local object store)', () => {
    it('uploads and downloads through signed URLs; the bytes land in the store', async () => {
      const s = await server(t);
      const urls = await presigned(s);
      expect(urls.putHeaders).toEqual({ 'content-type': 'image/png' });
      const put = await s.fetch(urls.put, { method: 'PUT', headers: urls.putHeaders, body: PNG });
      expect(put.status).toBe(200);
      expect(await put.json()).toEqual({ key: urls.key, size: PNG.length });
      expect(await s.objects.get(urls.key)).toEqual(PNG);
      const get = await s.fetch(urls.get);
      expect(get.status).toBe(200);
      expect(get.headers.get('content-type')).toBe('image/png');
      expect(get.headers.get('x-content-type-options')).toBe('nosniff');
      expect(Buffer.from(await get.arrayBuffer())).toEqual(PNG);
      const head = await s.fetch(urls.get, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(PNG.length));
    });

    it('refuses expired, tampered, missing and wrong-method signatures with 401', async () => {
      const s = await server(t);
      const urls = await presigned(s);
      await s.objects.put(urls.key, PNG);
      const expired = buildSignedUrl(s.api, 'signing-secret-0123456789', { method: 'GET', key: urls.key, expires: Math.floor(Date.now() / 1000) - 5 });
      const tamperedSig = urls.get.replace(/signature=([0-9a-f])/, (_m, c: string) => `signature=${c === '0' ? '1' : '0'}`);
      const tamperedExpiry = urls.get.replace(/expires=(\d+)/, (_m, e: string) => `expires=${Number(e) + 3600}`);
      const otherKey = urls.get.replace('masks/', 'originals/');
      const unsigned = urls.get.split('?')[0]!;
      const forged = buildSignedUrl(s.api, 'another-secret-0123456789', { method: 'GET', key: urls.key, expires: Math.floor(Date.now() / 1000) + 60 });
      for (const url of [expired, tamperedSig, tamperedExpiry, otherKey, unsigned, forged]) {
        expect(await errorOf(await s.fetch(url))).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
      }
      // A GET URL does not authorise a PUT, nor the reverse.
      expect((await s.fetch(urls.get, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: PNG })).status).toBe(401);
      expect((await s.fetch(urls.put)).status).toBe(401);
      const expiredPut = buildSignedUrl(s.api, 'signing-secret-0123456789', { method: 'PUT', key: urls.key, expires: Math.floor(Date.now() / 1000) - 5 });
      expect((await s.fetch(expiredPut, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: Buffer.from('evil') })).status).toBe(401);
      expect(await s.objects.get(urls.key)).toEqual(PNG);
    });

    it('refuses traversal in keys with 400 whatever the spelling', async () => {
      const s = await server(t);
      const urls = await presigned(s);
      const query = urls.get.split('?')[1]!;
      const weUrl = t.name === 'direct' || t.name === 'hono';
      for (const p of [
        '/api/files/../../etc/passwd',
        '/api/files/%2e%2e/%2e%2e/etc/passwd',
        '/api/files/masks/..%2F..%2Fetc%2Fpasswd',
        '/api/files/masks/%2E%2E/x.png',
        '/api/files/.hidden/x.png',
      ]) {
        const res = await rawRequest(s, `${p}?${query}`);
        // A WHATWG URL (direct, Hono) resolves "%2E%2E" itself: the request then names another key, whose signature fails.
        expect(weUrl ? [400, 401, 404] : [400, 404]).toContain(res.status);
        if (res.status === 400) expect(JSON.parse(res.body).error.code).toBe('INVALID_INPUT');
        expect(res.body).not.toContain('root:');
      }
      // The exact ones that reach the handler are 400.
      expect((await rawRequest(s, `/api/files/masks/..%2F..%2Fetc%2Fpasswd?${query}`)).status).toBe(400);
      expect((await rawRequest(s, `/api/files/masks/%2E%2E/x.png?${query}`)).status).toBe(weUrl ? 401 : 400);
    });

    it('PUT accepts image content types only and enforces the size limit (413)', async () => {
      const s = await server(t, { maxUploadBytes: 1000 });
      const urls = await presigned(s);
      expect(await errorOf(await s.fetch(urls.put, { method: 'PUT', headers: { 'content-type': 'text/html' }, body: '<script>' }))).toMatchObject({
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      });
      expect((await s.fetch(urls.put, { method: 'PUT', body: PNG })).status).toBe(415);
      // The bytes decide, not only the header: an SVG (or JPEG bytes) sent as image/png is refused.
      const svg = await s.fetch(urls.put, {
        method: 'PUT',
        headers: { 'content-type': 'image/png' },
        body: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
      });
      expect(await errorOf(svg)).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: expect.stringContaining('svg') });
      const jpeg = await s.fetch(urls.put, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]) });
      expect(await errorOf(jpeg)).toMatchObject({ status: 415, message: expect.stringContaining('image/jpeg') });
      expect(await s.objects.exists(urls.key)).toBe(false);
      expect(await errorOf(await s.fetch(urls.put, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: Buffer.alloc(5000) }))).toMatchObject({
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      });
      // Chunked, without content-length: cut off while streaming.
      const chunked = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < 10; i++) c.enqueue(new Uint8Array(300));
          c.close();
        },
      });
      const res = await s.fetch(urls.put, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: chunked, duplex: 'half' } as RequestInit);
      expect(res.status).toBe(413);
      expect(await s.objects.exists(urls.key)).toBe(false);
      expect((await s.fetch(urls.put, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: PNG })).status).toBe(200);
    });

    it('GET of a missing object with a valid signature is 404', async () => {
      const s = await server(t);
      const urls = await presigned(s);
      expect(await errorOf(await s.fetch(urls.get))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    });
  });
});
