import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchOriginal, forbiddenAddressReason } from 'jobkit';
import { rejectionOf as err } from 'jobkit/testing';

const photo = Buffer.alloc(50_000, 7);
const photoSha = createHash('sha256').update(photo).digest('hex');
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/photo.jpg') {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': photo.length });
      return res.end(photo);
    }
    if (url.pathname === '/html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end('<html>');
    }
    if (url.pathname === '/redirect-private') {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
      return res.end();
    }
    if (url.pathname === '/redirect-self') {
      res.writeHead(302, { location: '/photo.jpg' });
      return res.end();
    }
    if (url.pathname === '/big-chunked') {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      for (let i = 0; i < 40; i++) res.write(Buffer.alloc(64 * 1024));
      return res.end();
    }
    if (url.pathname === '/busy') {
      res.writeHead(503, { 'retry-after': '7' });
      return res.end();
    }
    if (url.pathname === '/slow') return; // never answers
    if (url.pathname === '/drip') {
      // One byte every 400 ms: never idle for long, but 20 bytes take 8 s.
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': 20 });
      let sent = 0;
      const timer = setInterval(() => {
        res.write(Buffer.from([0xff]));
        if (++sent === 20) {
          clearInterval(timer);
          res.end();
        }
      }, 400);
      res.on('close', () => clearInterval(timer));
      return;
    }
    if (url.pathname.startsWith('/slow-hop/')) {
      // Each redirect answers after 600 ms: every hop is quick enough alone, the chain is not.
      const n = Number(url.pathname.split('/')[2]);
      const timer = setTimeout(() => {
        res.writeHead(302, { location: n > 0 ? `/slow-hop/${n - 1}` : '/photo.jpg' });
        res.end();
      }, 600);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));


describe('fetchOriginal (SSRF guard)', () => {
  const local = { addressPolicy: { allowlist: ['127.0.0.1/32'] } };

  it('refuses private, loopback, link-local and metadata addresses in every spelling', async () => {
    for (const url of [
      `${base}/photo.jpg`,
      'http://10.1.2.3/a.jpg',
      'http://192.168.1.1/a.jpg',
      'http://172.16.0.1/a.jpg',
      'http://169.254.169.254/latest/meta-data/',
      'http://2130706433/a.jpg',
      'http://0x7f000001/a.jpg',
      'http://0177.0.0.1/a.jpg',
      'http://[::1]/a.jpg',
      'http://[::ffff:7f00:1]/a.jpg',
      'http://[fe80::1]/a.jpg',
      'http://[fd12::1]/a.jpg',
      'http://100.64.0.1/a.jpg',
      'http://0.0.0.0/a.jpg',
      'file:///etc/passwd',
      'ftp://example.com/a.jpg',
      'http://u:p@example.com/a.jpg',
      'http://localhost/a.jpg',
    ]) {
      const e = await err(fetchOriginal(url, null));
      expect(e.code, url).toBe('DOWNLOAD_FAILED');
      expect(e.retryable, url).toBe(false);
    }
  });

  it('checks the resolved address at connect time (a public-looking name pointing at loopback is refused)', async () => {
    const port = new URL(base).port;
    // A resolver that answers like a DNS-rebinding attacker: the name looks public, the address is loopback.
    const rebinding = ((_h: string, _o: unknown, cb: (e: null, a: Array<{ address: string; family: number }>) => void) =>
      cb(null, [{ address: '127.0.0.1', family: 4 }])) as never;
    const e = await err(fetchOriginal(`http://images.example.com:${port}/photo.jpg`, null, { dnsLookup: rebinding }));
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.message).toMatch(/non-public address \(loopback\)/);
    // The same resolver with the address allowlisted connects to exactly that address.
    const ok = await fetchOriginal(`http://images.example.com:${port}/photo.jpg`, photoSha, { dnsLookup: rebinding, addressPolicy: { allowlist: ['127.0.0.0/8'] } });
    expect(ok.sha256).toBe(photoSha);
  });

  it('classifies addresses with ipaddr.js ranges', () => {
    expect(forbiddenAddressReason('8.8.8.8')).toBeNull();
    expect(forbiddenAddressReason('2606:4700::1111')).toBeNull();
    expect(forbiddenAddressReason('127.0.0.1')).toBe('loopback');
    expect(forbiddenAddressReason('::ffff:10.0.0.1')).toBe('private');
    expect(forbiddenAddressReason('169.254.169.254')).toBe('linkLocal');
    expect(forbiddenAddressReason('10.0.0.1', { allowlist: ['10.0.0.0/8'] })).toBeNull();
    expect(forbiddenAddressReason('10.0.0.1', { allowPrivate: true })).toBeNull();
  });

  it('downloads an allowed image and verifies its sha256', async () => {
    const got = await fetchOriginal(`${base}/photo.jpg`, photoSha, local);
    expect(got.sha256).toBe(photoSha);
    expect(got.contentType).toBe('image/jpeg');
    expect(got.bytes.equals(photo)).toBe(true);
    const bad = await err(fetchOriginal(`${base}/photo.jpg`, 'b'.repeat(64), local));
    expect(bad.code).toBe('CHECKSUM_MISMATCH');
    expect(bad.retryable).toBe(false);
  });

  it('re-checks every redirect', async () => {
    expect((await fetchOriginal(`${base}/redirect-self`, photoSha, local)).sha256).toBe(photoSha);
    const e = await err(fetchOriginal(`${base}/redirect-private`, null, local));
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.message).toMatch(/169\.254\.169\.254|not public/);
  });

  it('enforces the size cap while streaming, the content type, statuses and timeouts', async () => {
    expect((await err(fetchOriginal(`${base}/big-chunked`, null, { ...local, maxBytes: 1_000_000 }))).code).toBe('PAYLOAD_TOO_LARGE');
    expect((await err(fetchOriginal(`${base}/photo.jpg`, null, { ...local, maxBytes: 1000 }))).code).toBe('PAYLOAD_TOO_LARGE');
    const html = await err(fetchOriginal(`${base}/html`, null, local));
    expect(html.message).toMatch(/not an image/);
    const busy = await err(fetchOriginal(`${base}/busy`, null, local));
    expect(busy).toMatchObject({ code: 'DOWNLOAD_FAILED', retryable: true });
    expect((await err(fetchOriginal(`${base}/missing`, null, local))).retryable).toBe(false);
    const slow = await err(fetchOriginal(`${base}/slow`, null, { ...local, timeoutMs: 200 }));
    expect(slow.code).toBe('PROVIDER_TIMEOUT');
  });
});

describe('fetchOriginal: timeoutMs bounds the whole download', () => {
  const local = { addressPolicy: { allowlist: ['127.0.0.1/32'] } };

  it('a server that sends one byte every 400 ms is cut off at timeoutMs, not when it finishes (8 s)', async () => {
    const started = Date.now();
    const e = await err(fetchOriginal(`${base}/drip`, null, { ...local, timeoutMs: 1500 }));
    const took = Date.now() - started;
    expect(e.code).toBe('PROVIDER_TIMEOUT');
    expect(e.retryable).toBe(true);
    expect(e.message).toMatch(/1500 ms/);
    expect(took).toBeGreaterThanOrEqual(1400);
    expect(took).toBeLessThan(4000);
  });

  it('redirect hops share one budget: 4 hops of 600 ms each exceed 1500 ms', async () => {
    const started = Date.now();
    const e = await err(fetchOriginal(`${base}/slow-hop/3`, null, { ...local, timeoutMs: 1500 }));
    expect(e.code).toBe('PROVIDER_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(4000);
    // The same chain finishes with a budget that covers it.
    expect((await fetchOriginal(`${base}/slow-hop/1`, photoSha, { ...local, timeoutMs: 10_000 })).sha256).toBe(photoSha);
  });

  it('the caller’s signal still cancels (CANCELLED, not a timeout)', async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 300);
    const e = await err(fetchOriginal(`${base}/drip`, null, { ...local, timeoutMs: 10_000, signal: ctl.signal }));
    expect(e.code).toBe('CANCELLED');
  });
});
