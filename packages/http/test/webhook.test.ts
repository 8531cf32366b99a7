import { describe, expect, it } from 'vitest';
import { signWebhook, type Job } from 'jobkit';
import { SECRET, SECRET_2, SHA, errorOf, photo, type TestServer, useServers } from './support/servers.js';
import { TRANSPORTS } from './support/transports.js';

const server = useServers();

describe.each(TRANSPORTS)('$name', (t) => {
  const total = async (s: TestServer) => (await s.service.listJobs()).total;

  describe('POST /webhooks/3jms/images (hmac-sha256)', () => {
    it('creates a job (201) and answers a duplicate delivery with the same job (200)', async () => {
      const s = await server(t);
      const first = await s.deliver(photo());
      expect(first.status).toBe(201);
      const a = (await first.json()) as { status: string; job: Job };
      expect(a.status).toBe('created');
      expect(a.job).toMatchObject({ sku: 'SKU-1', sha256: SHA, theme: 'default', status: 'NEW', driver: null });
      const second = await s.deliver(photo());
      expect(second.status).toBe(200);
      const b = (await second.json()) as { status: string; job: Job };
      expect(b).toMatchObject({ status: 'duplicate', job: { id: a.job.id } });
      // Another theme of the same photo is another job.
      expect((await s.deliver(photo('SKU-1', { theme: 'studio' }))).status).toBe(201);
      expect(await total(s)).toBe(2);
    });

    it('accepts x-webhook-signature, the sha256= prefix and upper-case hex', async () => {
      const s = await server(t);
      const raw = JSON.stringify(photo('SKU-PREFIX'));
      const sig = signWebhook({ body: raw, secret: SECRET, prefix: true })['x-3jms-signature']!;
      const res = await s.fetch(`${s.api}/webhooks/3jms/images`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-webhook-signature': sig.replace(/[0-9a-f]+$/, (h) => h.toUpperCase()) },
        body: raw,
      });
      expect(res.status).toBe(201);
    });

    it('refuses a missing, malformed or wrong signature with 401 and creates nothing', async () => {
      const s = await server(t);
      const raw = JSON.stringify(photo());
      const post = (headers: Record<string, string>) =>
        s.fetch(`${s.api}/webhooks/3jms/images`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw });
      for (const res of [
        await post({}),
        await post({ 'x-3jms-signature': 'not-hex' }),
        await post({ 'x-3jms-signature': 'b'.repeat(64) }),
        await s.deliver(photo(), { secret: 'some-other-secret' }),
      ]) {
        expect(await errorOf(res)).toMatchObject({ status: 401, code: 'SIGNATURE_INVALID' });
      }
      // A signature over different bytes (the re-serialised object) never matches.
      const reordered = JSON.stringify({ imageUrl: photo().imageUrl, sku: 'SKU-1', sha256: SHA });
      const sig = signWebhook({ body: reordered, secret: SECRET });
      expect((await post(sig)).status).toBe(401);
      expect(await total(s)).toBe(0);
    });

    it('accepts every secret during a rotation', async () => {
      const s = await server(t, { webhook: { secrets: [SECRET, SECRET_2] } });
      expect((await s.deliver(photo('OLD'), { secret: SECRET })).status).toBe(201);
      expect((await s.deliver(photo('NEW'), { secret: SECRET_2 })).status).toBe(201);
      expect((await s.deliver(photo('NONE'), { secret: 'retired-secret' })).status).toBe(401);
    });

    it('answers 413 for a body over the limit before checking the signature', async () => {
      const s = await server(t, { webhook: { secrets: [SECRET], maxBodyBytes: 1024 } });
      const big = JSON.stringify({ ...photo(), pad: 'x'.repeat(2000) });
      const res = await s.fetch(`${s.api}/webhooks/3jms/images`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
      expect(await errorOf(res)).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
      // Default limit 1 MiB.
      const d = await server(t);
      const huge = await d.fetch(`${d.api}/webhooks/3jms/images`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: 'x'.repeat(1024 * 1024 + 1),
      });
      expect(huge.status).toBe(413);
    });

    it('answers 400 for malformed JSON and invalid fields, naming the field', async () => {
      const s = await server(t);
      expect(await errorOf(await s.deliver(null, { raw: '{"sku": "A",' }))).toMatchObject({ status: 400, code: 'INVALID_INPUT', field: 'body' });
      expect(await errorOf(await s.deliver(null, { raw: '[1,2]' }))).toMatchObject({ status: 400, field: 'body' });
      expect(await errorOf(await s.deliver(photo('../../etc/passwd')))).toMatchObject({ status: 400, field: 'sku' });
      expect(await errorOf(await s.deliver(photo('a/b')))).toMatchObject({ status: 400, field: 'sku' });
      expect(await errorOf(await s.deliver(photo('SKU..1')))).toMatchObject({ status: 400, field: 'sku' });
      expect(await errorOf(await s.deliver(photo('X', { sha256: 'abc' })))).toMatchObject({ status: 400, field: 'sha256' });
      expect(await errorOf(await s.deliver(photo('X', { theme: 'Bad Theme' })))).toMatchObject({ status: 400, field: 'theme' });
      expect(await errorOf(await s.deliver(photo('X', { imageUrl: 'file:///etc/passwd' })))).toMatchObject({ status: 400, field: 'imageUrl' });
      expect(await errorOf(await s.deliver(photo('X', { imageUrl: 'http://169.254.169.254/latest/meta-data' })))).toMatchObject({
        status: 400,
        field: 'imageUrl',
      });
      expect(await errorOf(await s.deliver({ sku: 'X', sha256: SHA }))).toMatchObject({ status: 400, field: 'imageUrl' });
      expect(await total(s)).toBe(0);
    });

    it('ignores unknown payload fields', async () => {
      const s = await server(t);
      expect((await s.deliver(photo('EXTRA', { source: '3jms', batch: 7 }))).status).toBe(201);
    });

    it('turns 100 concurrent deliveries of one webhook into exactly one job', async () => {
      const s = await server(t);
      const responses = await Promise.all(Array.from({ length: 100 }, () => s.deliver(photo('RACE'))));
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((x) => x === 201)).toHaveLength(1);
      expect(statuses.filter((x) => x === 200)).toHaveLength(99);
      const ids = new Set(await Promise.all(responses.map(async (r) => ((await r.json()) as { job: Job }).job.id)));
      expect(ids.size).toBe(1);
      expect(await total(s)).toBe(1);
    });

    it('by default creates the job QUEUED, runnable by whichever worker is alive (autoStart defaults to true)', async () => {
      const queued: string[] = [];
      const s = await server(t, { autoStart: undefined, onJobQueued: (j) => queued.push(j.id) });
      const res = await s.deliver(photo('DEFAULT'));
      const { job } = (await res.json()) as { job: Job };
      expect(res.status).toBe(201);
      expect(job).toMatchObject({ status: 'QUEUED', driver: 'worker' });
      expect(queued).toEqual([job.id]);
      // A repeated delivery is the same runnable job (never a NEW one nobody starts).
      expect(((await (await s.deliver(photo('DEFAULT'))).json()) as { job: Job }).job).toMatchObject({ id: job.id, status: 'QUEUED' });
    });

    it('refuses a compressed body (415) before checking the signature: the signature covers the bytes sent', async () => {
      const s = await server(t);
      const raw = JSON.stringify(photo('GZIP'));
      const { gzipSync } = await import('node:zlib');
      const gz = gzipSync(raw);
      // Signed over the compressed bytes (what was sent) or over the inflated JSON: both refused, nothing created.
      for (const signedOver of [gz, Buffer.from(raw)]) {
        const res = await s.fetch(`${s.api}/webhooks/3jms/images`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...signWebhook({ body: signedOver, secret: SECRET }) },
          body: gz,
        });
        const e = await errorOf(res);
        expect(e).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
        expect(e.message).toContain('uncompressed');
      }
      expect(await total(s)).toBe(0);
      // identity is no encoding.
      expect((await s.deliver(photo('PLAIN'), { headers: { 'content-encoding': 'identity' } })).status).toBe(201);
    });

    it('auto-starts when asked: QUEUED for the worker, and notifies', async () => {
      const queued: string[] = [];
      const s = await server(t, { autoStart: true, onJobQueued: (j) => queued.push(j.id) });
      const { job } = (await (await s.deliver(photo('AUTO'))).json()) as { job: Job };
      expect(job).toMatchObject({ status: 'QUEUED', driver: 'worker' });
      expect(queued).toEqual([job.id]);
      await s.deliver(photo('AUTO'));
      expect(queued).toHaveLength(1);
    });

    it('answers 409 when the SKU reached its image limit', async () => {
      const s = await server(t, { maxImagesPerSku: 1 });
      expect((await s.deliver(photo('LIM'))).status).toBe(201);
      expect(await errorOf(await s.deliver(photo('LIM', { sha256: 'b'.repeat(64) })))).toMatchObject({ status: 409, code: 'IMAGE_LIMIT_REACHED' });
    });
  });

  describe('POST /webhooks/3jms/images (standard-webhooks)', () => {
    const SW_SECRET = `whsec_${Buffer.from('standard-webhooks-secret-bytes').toString('base64')}`;
    const SW_OTHER = `whsec_${Buffer.from('another-secret-bytes-here').toString('base64')}`;

    it('verifies id/timestamp/signature and refuses stale or future timestamps', async () => {
      const s = await server(t, { webhook: { secrets: [SW_SECRET, SW_OTHER], scheme: 'standard-webhooks', toleranceSec: 300 } });
      expect((await s.deliver(photo('SW'), { secret: SW_SECRET })).status).toBe(201);
      expect((await s.deliver(photo('SW2'), { secret: SW_OTHER })).status).toBe(201);
      const stale = await s.deliver(photo('STALE'), { secret: SW_SECRET, now: new Date(Date.now() - 10 * 60_000) });
      expect(await errorOf(stale)).toMatchObject({ status: 401, code: 'SIGNATURE_INVALID' });
      const future = await s.deliver(photo('FUTURE'), { secret: SW_SECRET, now: new Date(Date.now() + 10 * 60_000) });
      expect(future.status).toBe(401);
      const wrong = await s.deliver(photo('WRONG'), { secret: `whsec_${Buffer.from('nope-nope-nope').toString('base64')}` });
      expect(wrong.status).toBe(401);
      // An hmac-sha256 header is no substitute.
      const raw = JSON.stringify(photo('HMAC'));
      const res = await s.fetch(`${s.api}/webhooks/3jms/images`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signWebhook({ body: raw, secret: SW_SECRET }) },
        body: raw,
      });
      expect(res.status).toBe(401);
      expect(await total(s)).toBe(2);
    });
  });
});
