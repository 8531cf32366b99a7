import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extensionForContentType, fetchOriginal, forbiddenAddressReason } from 'jobkit';
import { rejectionOf as err } from 'jobkit/testing';

// A JPEG signature followed by filler: fetchOriginal sniffs the format, it does not decode.
const photo = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(49_996, 7)]);
const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/formats/${name}`, import.meta.url));
const served: Record<string, [contentType: string, body: Buffer]> = {
  '/real.png': ['image/png', fixture('photo.png')],
  '/real.avif': ['image/avif', fixture('photo.avif')],
  '/real.webp': ['image/webp', fixture('photo.webp')],
  '/real.gif': ['image/gif', fixture('photo.gif')],
  '/real.tiff': ['image/tiff', fixture('photo.tiff')],
  '/png-labelled-jpeg': ['image/jpeg', fixture('photo.png')],
  '/webp-labelled-jpg-alias': ['image/jpg', fixture('photo.webp')],
  '/svg': ['image/svg+xml', fixture('photo.svg')],
  '/svg-labelled-png': ['image/png', fixture('photo.svg')],
  '/html-labelled-jpeg': ['image/jpeg', Buffer.from('<!doctype html><title>login</title>')],
  '/heic': ['image/heic', Buffer.from('000000186674797068656963000000006d69663168656963', 'hex')],
};
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
    const entry = served[url.pathname];
    if (entry) {
      res.writeHead(200, { 'content-type': entry[0], 'content-length': entry[1].length });
      return res.end(entry[1]);
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
    const ok = await fetchOriginal(`http://images.example.com:${port}/photo.jpg`, photoSha, {
      dnsLookup: rebinding,
      addressPolicy: { allowlist: ['127.0.0.0/8'] },
    });
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

describe('fetchOriginal: only the formats the pipeline decodes, checked on the bytes', () => {
  const local = { addressPolicy: { allowlist: ['127.0.0.1/32'] } };

  it('accepts each format by header and signature; contentType and extension follow the bytes', async () => {
    for (const [path, type, ext] of [
      ['/photo.jpg', 'image/jpeg', 'jpg'],
      ['/real.png', 'image/png', 'png'],
      ['/real.avif', 'image/avif', 'avif'],
      ['/real.webp', 'image/webp', 'webp'],
      ['/real.gif', 'image/gif', 'gif'],
      ['/real.tiff', 'image/tiff', 'tiff'],
      ['/png-labelled-jpeg', 'image/png', 'png'],
      ['/webp-labelled-jpg-alias', 'image/webp', 'webp'],
    ] as const) {
      const got = await fetchOriginal(`${base}${path}`, null, local);
      expect(got.contentType, path).toBe(type);
      expect(extensionForContentType(got.contentType), path).toBe(ext);
    }
  });

  it('refuses an SVG (or HEIC) content type before reading the body: non-retryable DOWNLOAD_FAILED', async () => {
    for (const [path, type] of [
      ['/svg', 'image/svg+xml'],
      ['/heic', 'image/heic'],
    ]) {
      const e = await err(fetchOriginal(`${base}${path}`, null, local));
      expect(e, path).toMatchObject({ code: 'DOWNLOAD_FAILED', retryable: false });
      expect(e.message).toContain(type);
      expect(e.message).toMatch(/image\/jpeg, image\/png, image\/webp, image\/avif, image\/gif, image\/tiff/);
    }
  });

  it('refuses bytes that are not what the header says they are, naming the detected type', async () => {
    const svg = await err(fetchOriginal(`${base}/svg-labelled-png`, null, local));
    expect(svg).toMatchObject({ code: 'DOWNLOAD_FAILED', retryable: false, details: { declared: 'image/png', detected: 'svg' } });
    expect(svg.message).toMatch(/svg/);
    const html = await err(fetchOriginal(`${base}/html-labelled-jpeg`, null, local));
    expect(html).toMatchObject({ code: 'DOWNLOAD_FAILED', retryable: false, details: { detected: 'html' } });
  });
});
