import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { JobkitError, createMemoryJobStore, createMemoryObjectStore, createWorker, keys, type Job, type JobEvent, type JobStore, type Logger } from 'jobkit';
import { createFakeBackgroundGenerator, createFakeCompositor, createFakeSegmenter, createFakeStorefront } from 'jobkit/testing';
import { TOKEN, TOKEN_2, errorOf, photo, type TestServer, useServers } from './support/servers.js';
import { TRANSPORTS } from './support/transports.js';

const server = useServers();

describe.each(TRANSPORTS)('$name', (t) => {
  async function newJob(s: TestServer, sku = 'SKU-1', extra: Record<string, unknown> = {}): Promise<Job> {
    const res = await s.deliver(photo(sku, extra));
    return ((await res.json()) as { job: Job }).job;
  }
  const jobOf = async (res: Response) => ((await res.json()) as { job: Job }).job;

  describe('authentication of the management endpoints', () => {
    it('refuses a missing or wrong token with 401 and changes nothing', async () => {
      const s = await server(t);
      const job = await newJob(s);
      const calls: Array<[string, string, unknown?]> = [
        ['GET', `/jobs/${job.id}`],
        ['GET', '/jobs'],
        ['GET', '/jobs/stats'],
        ['POST', `/jobs/${job.id}/start`, { driver: 'worker' }],
        ['POST', `/jobs/${job.id}/fail`, { code: 'X_FAIL', message: 'nope' }],
        ['POST', `/jobs/${job.id}/presign`, { kind: 'mask' }],
      ];
      for (const [method, p, body] of calls) {
        for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
          const res = await s.fetch(`${s.api}${p}`, {
            method,
            headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/json' },
            ...(body ? { body: JSON.stringify(body) } : {}),
          });
          expect(await errorOf(res)).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
          expect(res.headers.get('www-authenticate')).toContain('Bearer');
        }
      }
      expect(await s.service.requireJob(job.id)).toMatchObject({ status: 'NEW', version: job.version });
    });

    it('accepts each of several tokens', async () => {
      const s = await server(t, { auth: { tokens: [TOKEN, TOKEN_2] } });
      for (const t of [TOKEN, TOKEN_2]) {
        expect((await s.fetch(`${s.api}/jobs`, { headers: { authorization: `Bearer ${t}` } })).status).toBe(200);
      }
    });
  });

  describe('reading jobs', () => {
    it('GET /jobs/:id, /jobs/:id/events, 404 and a malformed id', async () => {
      const s = await server(t);
      const job = await newJob(s);
      expect(await jobOf(await s.authed(`/jobs/${job.id}`))).toMatchObject({ id: job.id, status: 'NEW' });
      await s.authed(`/jobs/${job.id}/start`, { method: 'POST' });
      const { events } = (await (await s.authed(`/jobs/${job.id}/events`)).json()) as { events: JobEvent[] };
      expect(events.map((e) => [e.from, e.to])).toEqual([
        [null, 'NEW'],
        ['NEW', 'QUEUED'],
      ]);
      expect(await errorOf(await s.authed('/jobs/doesNotExist123'))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
      expect(await errorOf(await s.authed('/jobs/doesNotExist123/events'))).toMatchObject({ status: 404 });
      expect(await errorOf(await s.authed('/jobs/bad$id'))).toMatchObject({ status: 400, code: 'INVALID_INPUT', field: 'id' });
    });

    it('GET /jobs filters, paginates and caps the limit; GET /jobs/stats', async () => {
      const s = await server(t);
      for (let i = 0; i < 5; i++) await newJob(s, `LIST-${i}`);
      await newJob(s, 'LIST-0', { theme: 'studio' });
      const page = (await (await s.authed('/jobs?limit=2&offset=1')).json()) as { jobs: Job[]; total: number; limit: number; offset: number };
      expect(page).toMatchObject({ total: 6, limit: 2, offset: 1 });
      expect(page.jobs).toHaveLength(2);
      const bySku = (await (await s.authed('/jobs?sku=LIST-0')).json()) as { jobs: Job[]; total: number };
      expect(bySku.total).toBe(2);
      const byTheme = (await (await s.authed('/jobs?theme=studio&status=NEW')).json()) as { jobs: Job[] };
      expect(byTheme.jobs.map((j) => j.sku)).toEqual(['LIST-0']);
      expect(((await (await s.authed('/jobs?limit=100000')).json()) as { limit: number }).limit).toBe(200);
      expect(await errorOf(await s.authed('/jobs?status=BOGUS'))).toMatchObject({ status: 400, field: 'status' });
      expect(await errorOf(await s.authed('/jobs?limit=abc'))).toMatchObject({ status: 400, field: 'limit' });
      expect(await errorOf(await s.authed('/jobs?sku=../x'))).toMatchObject({ status: 400, field: 'sku' });
      expect(await errorOf(await s.authed('/jobs?status=NEW&status=DONE'))).toMatchObject({ status: 400, field: 'status' });
      const stats = (await (await s.authed('/jobs/stats')).json()) as { total: number; byStatus: Record<string, number> };
      expect(stats.total).toBe(6);
      expect(stats.byStatus.NEW).toBe(6);
    });
  });

  describe('starting jobs', () => {
    it('worker: NEW → QUEUED, repeat → 200 with the job, external afterwards → 409', async () => {
      const queued: string[] = [];
      const s = await server(t, { onJobQueued: (j) => queued.push(j.id) });
      const job = await newJob(s);
      const first = await s.authed(`/jobs/${job.id}/start`, { method: 'POST', json: { driver: 'worker' } });
      expect(first.status).toBe(200);
      expect(await first.json()).toMatchObject({ started: true, job: { status: 'QUEUED', driver: 'worker' } });
      const again = await s.authed(`/jobs/${job.id}/start`, { method: 'POST' });
      expect(await again.json()).toMatchObject({ started: false, job: { status: 'QUEUED' } });
      expect(await errorOf(await s.authed(`/jobs/${job.id}/start`, { method: 'POST', json: { driver: 'external' } }))).toMatchObject({
        status: 409,
        code: 'INVALID_TRANSITION',
      });
      expect(queued).toEqual([job.id]);
      expect(await errorOf(await s.authed(`/jobs/${job.id}/start`, { method: 'POST', json: { driver: 'robot' } }))).toMatchObject({
        status: 400,
        field: 'driver',
      });
      expect(await errorOf(await s.authed('/jobs/nope1234/start', { method: 'POST' }))).toMatchObject({ status: 404 });
    });

    it('external: SEGMENTING with presigned original and mask URLs that work', async () => {
      const s = await server(t);
      const bytes = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('a jpeg, as far as its signature goes')]);
      const job = await newJob(s, 'SKU-1', { sha256: createHash('sha256').update(bytes).digest('hex') });
      const res = await s.authed(`/jobs/${job.id}/start`, { method: 'POST', json: { driver: 'external' } });
      const body = (await res.json()) as {
        job: Job;
        urls: { original: { key: string; put: string; get: string; putHeaders: Record<string, string> }; mask: { key: string; put: string; get: string } };
      };
      expect(body.job).toMatchObject({ status: 'SEGMENTING', driver: 'external', originalKey: `originals/SKU-1/${job.sha256}.jpg` });
      expect(body.urls.original.key).toBe(body.job.originalKey);
      expect(body.urls.mask.key).toBe(`masks/SKU-1/${job.sha256}.png`);
      // An original's key names its sha256: other bytes are refused and nothing is stored.
      const forged = await s.fetch(body.urls.original.put, {
        method: 'PUT',
        headers: body.urls.original.putHeaders,
        body: Buffer.concat([bytes, Buffer.from(' and more')]),
      });
      expect(await errorOf(forged)).toMatchObject({ status: 422, code: 'CHECKSUM_MISMATCH' });
      expect(await s.objects.exists(body.urls.original.key)).toBe(false);
      const put = await s.fetch(body.urls.original.put, { method: 'PUT', headers: body.urls.original.putHeaders, body: bytes });
      expect(put.status).toBe(200);
      const get = await s.fetch(body.urls.original.get);
      expect(get.status).toBe(200);
      expect(Buffer.from(await get.arrayBuffer())).toEqual(bytes);
      // Repeat: the same job and fresh URLs; the other driver is a conflict.
      const again = (await (await s.authed(`/jobs/${job.id}/start`, { method: 'POST', json: { driver: 'external' } })).json()) as {
        started: boolean;
        urls: unknown;
      };
      expect(again.started).toBe(false);
      expect(again.urls).toBeDefined();
      expect((await s.authed(`/jobs/${job.id}/start`, { method: 'POST', json: { driver: 'worker' } })).status).toBe(409);
    });
  });

  describe('presign', () => {
    it('builds keys with keys.* and validates kind, variant and aspect', async () => {
      const s = await server(t);
      const job = await newJob(s);
      await s.authed(`/jobs/${job.id}/start`, { method: 'POST', json: { driver: 'external' } });
      const presign = (json: unknown) => s.authed(`/jobs/${job.id}/presign`, { method: 'POST', json });
      const cases: Array<[unknown, string]> = [
        [{ kind: 'original' }, `originals/SKU-1/${job.sha256}.jpg`],
        [{ kind: 'mask' }, `masks/SKU-1/${job.sha256}.png`],
        [{ kind: 'bg', variant: 3 }, `backgrounds/default/SKU-1/${job.sha256}_3.jpg`],
        [{ kind: 'composite', aspect: '4x5', variant: 2 }, `composites/default/SKU-1/${job.sha256}_4x5_2_master.jpg`],
        [{ kind: 'thumb', aspect: '16x9' }, `thumbs/default/SKU-1/${job.sha256}_16x9_1_400.jpg`],
      ];
      for (const [req, key] of cases) {
        const body = (await (await presign(req)).json()) as { key: string; put: string; get: string; expiresAt: string };
        expect(body.key).toBe(key);
        expect(body.put).toContain('method=PUT');
        expect(body.get).toContain('method=GET');
        expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
      }
      const onlyGet = (await (await presign({ kind: 'mask', type: 'get' })).json()) as Record<string, unknown>;
      expect(onlyGet.put).toBeUndefined();
      expect(onlyGet.get).toBeDefined();
      for (const [req, field] of [
        [{ kind: 'bg', variant: 0 }, 'variant'],
        [{ kind: 'bg', variant: 100 }, 'variant'],
        [{ kind: 'bg', variant: 1.5 }, 'variant'],
        [{ kind: 'composite', aspect: '../1x1' }, 'aspect'],
        [{ kind: 'composite', aspect: '1:1' }, 'aspect'],
        [{ kind: 'passwd' }, 'kind'],
        [{}, 'kind'],
        [{ kind: 'mask', type: 'delete' }, 'type'],
        [{ kind: 'mask', extra: 1 }, 'body'],
      ] as const) {
        expect(await errorOf(await presign(req))).toMatchObject({ status: 400, code: 'INVALID_INPUT', field });
      }
    });

    it('issues only GET URLs for worker-driven jobs', async () => {
      const s = await server(t);
      const job = await newJob(s);
      await s.authed(`/jobs/${job.id}/start`, { method: 'POST' });
      expect((await s.authed(`/jobs/${job.id}/presign`, { method: 'POST', json: { kind: 'mask', type: 'get' } })).status).toBe(200);
      expect(await errorOf(await s.authed(`/jobs/${job.id}/presign`, { method: 'POST', json: { kind: 'mask' } }))).toMatchObject({ status: 409 });
    });
  });

  describe('step results of an outside orchestrator', () => {
    const K = (s: string) => s;
    it('walks an external job to DONE with the seed field names', async () => {
      const s = await server(t);
      const job = await newJob(s);
      await s.authed(`/jobs/${job.id}/start`, { method: 'POST', json: { driver: 'external' } });
      const sha = job.sha256;
      const step = (name: string, json: unknown) => s.authed(`/jobs/${job.id}/${name}`, { method: 'POST', json });
      expect(await jobOf(await step('segmentation', { maskKey: `masks/SKU-1/${sha}.png`, costUsd: 0.01 }))).toMatchObject({
        status: 'BG_GENERATING',
        maskKey: `masks/SKU-1/${sha}.png`,
      });
      expect(await jobOf(await step('backgrounds', { bgKeys: [K(`backgrounds/default/SKU-1/${sha}_1.jpg`)] }))).toMatchObject({ status: 'COMPOSITING' });
      const composite = await jobOf(
        await step('composite', { composites: [`composites/default/SKU-1/${sha}_1x1_1_master.jpg`], thumbs: ['thumbs/SKU-1/abc123_400.jpg'] }),
      );
      expect(composite).toMatchObject({ status: 'SHOPIFY_PUSH', thumbnailKeys: ['thumbs/SKU-1/abc123_400.jpg'] });
      const done = await jobOf(await step('shopify', { mediaIds: ['gid://shopify/MediaImage/123456'] }));
      expect(done).toMatchObject({ status: 'DONE', storefrontMediaIds: ['gid://shopify/MediaImage/123456'], costUsd: 0.01 });
      // A finished job takes no more steps.
      expect(await errorOf(await step('shopify', { mediaIds: ['x'] }))).toMatchObject({ status: 409, code: 'INVALID_TRANSITION' });
    });

    it('accepts the camelCase names, refuses both names at once, bad keys and out-of-order steps', async () => {
      const s = await server(t);
      const job = await newJob(s);
      await s.authed(`/jobs/${job.id}/start`, { method: 'POST', json: { driver: 'external' } });
      const step = (name: string, json: unknown) => s.authed(`/jobs/${job.id}/${name}`, { method: 'POST', json });
      expect(await errorOf(await step('backgrounds', { backgroundKeys: ['backgrounds/a.jpg'] }))).toMatchObject({ status: 409, code: 'INVALID_TRANSITION' });
      expect(await errorOf(await step('segmentation', { maskKey: '../../etc/passwd' }))).toMatchObject({ status: 400, field: 'maskKey' });
      expect(await errorOf(await step('segmentation', { maskKey: '/abs/mask.png' }))).toMatchObject({ status: 400, field: 'maskKey' });
      expect(await errorOf(await step('segmentation', {}))).toMatchObject({ status: 400, field: 'maskKey' });
      await step('segmentation', { maskKey: 'masks/m.png' });
      expect(await errorOf(await step('backgrounds', { backgroundKeys: ['a.jpg'], bgKeys: ['b.jpg'] }))).toMatchObject({ status: 400, field: 'bgKeys' });
      expect(await errorOf(await step('backgrounds', {}))).toMatchObject({ status: 400, field: 'backgroundKeys' });
      expect(await errorOf(await step('backgrounds', { backgroundKeys: ['ok.jpg', 'a/../b.jpg'] }))).toMatchObject({ status: 400, field: 'backgroundKeys.1' });
      expect(await jobOf(await step('backgrounds', { backgroundKeys: ['backgrounds/1.jpg', 'backgrounds/2.jpg'] }))).toMatchObject({ status: 'COMPOSITING' });
      expect(await errorOf(await step('composite', { thumbnailKeys: ['t.jpg'] }))).toMatchObject({ status: 400, field: 'compositeKeys' });
      expect(await jobOf(await step('composite', { compositeKeys: ['c/1.jpg'], thumbnailKeys: ['t/1.jpg'], derivativeKeys: ['d/1.webp'] }))).toMatchObject({
        status: 'SHOPIFY_PUSH',
        compositeKeys: ['c/1.jpg'],
        derivativeKeys: ['d/1.webp'],
      });
      expect(await errorOf(await step('shopify', { mediaIds: [] }))).toMatchObject({ status: 400, field: 'mediaIds' });
    });

    it('refuses step results for worker-driven and unstarted jobs with 409', async () => {
      const s = await server(t);
      const worker = await newJob(s, 'W');
      await s.authed(`/jobs/${worker.id}/start`, { method: 'POST' });
      const fresh = await newJob(s, 'N');
      for (const id of [worker.id, fresh.id]) {
        expect(await errorOf(await s.authed(`/jobs/${id}/segmentation`, { method: 'POST', json: { maskKey: 'masks/x.png' } }))).toMatchObject({
          status: 409,
          code: 'INVALID_TRANSITION',
        });
      }
      expect((await s.service.requireJob(worker.id)).status).toBe('QUEUED');
    });
  });

  describe('review: approve and reject', () => {
    /** An external job walked to COMPOSITING → REVIEW (policy "always") over the API. */
    async function heldJob(s: TestServer, sku: string): Promise<Job> {
      const job = await newJob(s, sku);
      await s.authed(`/jobs/${job.id}/start`, { method: 'POST', json: { driver: 'external' } });
      const step = (name: string, json: unknown) => s.authed(`/jobs/${job.id}/${name}`, { method: 'POST', json });
      await step('segmentation', { maskKey: `masks/${sku}/${job.sha256}.png` });
      await step('backgrounds', { backgroundKeys: ['backgrounds/1.jpg'] });
      const held = await jobOf(await step('composite', { compositeKeys: ['composites/1.jpg'] }));
      expect(held).toMatchObject({ status: 'REVIEW', quality: null });
      return held;
    }

    it('approve: REVIEW → SHOPIFY_PUSH; 409 outside REVIEW, 401 without a token', async () => {
      const s = await server(t, { serviceOptions: { review: 'always' } });
      const job = await heldJob(s, 'REV-1');
      const listed = (await (await s.authed('/jobs?status=REVIEW')).json()) as { jobs: Job[]; total: number };
      expect(listed.jobs.map((j) => j.id)).toEqual([job.id]);
      expect(((await (await s.authed('/jobs/stats')).json()) as { byStatus: Record<string, number> }).byStatus['REVIEW']).toBe(1);
      expect(await errorOf(await s.fetch(`${s.api}/jobs/${job.id}/approve`, { method: 'POST' }))).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
      expect(await jobOf(await s.authed(`/jobs/${job.id}/approve`, { method: 'POST' }))).toMatchObject({ id: job.id, status: 'SHOPIFY_PUSH' });
      expect(await errorOf(await s.authed(`/jobs/${job.id}/approve`, { method: 'POST' }))).toMatchObject({ status: 409, code: 'INVALID_TRANSITION' });
      expect(await errorOf(await s.authed('/jobs/nope1234/approve', { method: 'POST' }))).toMatchObject({ status: 404 });
    });

    it('reject: REVIEW → FAILED with REJECTED and the reason; bad bodies 400, outside REVIEW 409, nothing changed', async () => {
      const s = await server(t, { serviceOptions: { review: 'always' } });
      const job = await heldJob(s, 'REV-2');
      const reject = (json?: unknown) => s.authed(`/jobs/${job.id}/reject`, { method: 'POST', ...(json === undefined ? {} : { json }) });
      expect(await errorOf(await reject())).toMatchObject({ status: 400, field: 'reason' });
      expect(await errorOf(await reject({ reason: '   ' }))).toMatchObject({ status: 400, field: 'reason' });
      expect(await errorOf(await reject({ reason: 'x', retryWith: 'remove.bg' }))).toMatchObject({ status: 400, field: 'retryWith' });
      expect(await errorOf(await reject({ reason: 'x', extra: 1 }))).toMatchObject({ status: 400, field: 'body' });
      // No hosted segmenter configured: asking for one is refused.
      expect(await errorOf(await reject({ reason: 'halo around the cap', retryWith: 'hosted' }))).toMatchObject({ status: 400, field: 'retryWith' });
      expect((await s.service.requireJob(job.id)).status).toBe('REVIEW');
      const rejected = await jobOf(await reject({ reason: 'the cap is missing' }));
      expect(rejected).toMatchObject({ status: 'FAILED', errorCode: 'REJECTED', errorMessage: 'the cap is missing', failedStatus: 'REVIEW' });
      expect(await errorOf(await reject({ reason: 'again' }))).toMatchObject({ status: 409, code: 'INVALID_TRANSITION' });
    });

    it('reject with retryWith "hosted" sends a worker job back to SEGMENTING and wakes the worker', async () => {
      const queued: string[] = [];
      const s = await server(t, { serviceOptions: { review: 'always', hostedSegmenter: true }, onJobQueued: (j) => queued.push(j.id) });
      const objects = createMemoryObjectStore();
      const worker = createWorker({
        service: s.service,
        objects,
        segmenter: createFakeSegmenter(),
        backgrounds: createFakeBackgroundGenerator(),
        compositor: createFakeCompositor(),
        storefront: createFakeStorefront(),
      });
      const bytes = Buffer.from('a product photo');
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const originalKey = keys.original({ sku: 'REV-3', sha256 }, 'jpg');
      await objects.put(originalKey, bytes);
      const held = await s.service.createJob({ sku: 'REV-3', sha256, originalKey, autoStart: true });
      await worker.runUntilIdle();
      expect((await s.service.requireJob(held.job.id)).status).toBe('REVIEW');
      const again = await jobOf(
        await s.authed(`/jobs/${held.job.id}/reject`, { method: 'POST', json: { reason: 'halo around the cap', retryWith: 'hosted' } }),
      );
      expect(again).toMatchObject({ status: 'SEGMENTING', segmentWith: 'hosted', quality: null, maskKey: null });
      expect(queued).toEqual([held.job.id]);
    });
  });

  describe('fail and retry', () => {
    it('fails a job and retries it from the step that failed', async () => {
      const queued: string[] = [];
      const s = await server(t, { onJobQueued: (j) => queued.push(j.id) });
      const job = await newJob(s);
      await s.authed(`/jobs/${job.id}/start`, { method: 'POST' });
      expect(await errorOf(await s.authed(`/jobs/${job.id}/retry`, { method: 'POST' }))).toMatchObject({ status: 409, code: 'INVALID_TRANSITION' });
      expect(await errorOf(await s.authed(`/jobs/${job.id}/fail`, { method: 'POST', json: { code: 'lower', message: 'x' } }))).toMatchObject({
        status: 400,
        field: 'code',
      });
      expect(await errorOf(await s.authed(`/jobs/${job.id}/fail`, { method: 'POST', json: { code: 'SEGMENT_FAILED' } }))).toMatchObject({
        status: 400,
        field: 'message',
      });
      const failed = await jobOf(
        await s.authed(`/jobs/${job.id}/fail`, { method: 'POST', json: { code: 'SEGMENT_FAILED', message: 'AI provider timed out' } }),
      );
      expect(failed).toMatchObject({ status: 'FAILED', failedStatus: 'QUEUED', errorCode: 'SEGMENT_FAILED', errorMessage: 'AI provider timed out' });
      expect(await errorOf(await s.authed(`/jobs/${job.id}/fail`, { method: 'POST', json: { code: 'AGAIN', message: 'x' } }))).toMatchObject({ status: 409 });
      const retried = await jobOf(await s.authed(`/jobs/${job.id}/retry`, { method: 'POST' }));
      expect(retried).toMatchObject({ status: 'QUEUED', attempts: 0, errorCode: null });
      expect(queued).toEqual([job.id, job.id]);
    });
  });

  describe('body parsing, errors and headers', () => {
    it('management bodies: malformed JSON 400, wrong content type 415, too large 413 — all as JSON errors', async () => {
      const s = await server(t, { jsonLimitBytes: 1024 });
      const job = await newJob(s);
      const post = (body: string, type: string) =>
        s.fetch(`${s.api}/jobs/${job.id}/fail`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': type }, body });
      expect(await errorOf(await post('{"code": ', 'application/json'))).toMatchObject({ status: 400, code: 'INVALID_INPUT', field: 'body' });
      expect(await errorOf(await post('code=X', 'application/x-www-form-urlencoded'))).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
      expect(await errorOf(await post('{}', 'text/plain'))).toMatchObject({ status: 415 });
      expect(await errorOf(await post(JSON.stringify({ code: 'BIG', message: 'x'.repeat(2000) }), 'application/json'))).toMatchObject({
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      });
      expect((await s.service.requireJob(job.id)).status).toBe('NEW');
    });

    it('unknown routes are 404 JSON; responses carry security headers and no x-powered-by', async () => {
      const s = await server(t);
      const res = await s.fetch(`${s.api}/nope`);
      expect(await errorOf(res)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-powered-by')).toBeNull();
      const authed = await s.authed('/jobs/a1/b2/c3');
      expect(authed.status).toBe(404);
      const health = await s.fetch(`${s.api}/healthz`);
      expect(health.headers.get('x-content-type-options')).toBe('nosniff');
      expect(health.headers.get('x-powered-by')).toBeNull();
    });

    it('hides unexpected errors behind 500 INTERNAL and logs them; RATE_LIMITED is 429 with Retry-After', async () => {
      const logged: Array<Record<string, unknown>> = [];
      const logger: Logger = {
        debug() {},
        info() {},
        warn() {},
        error(obj) {
          logged.push(obj);
        },
        child() {
          return logger;
        },
      };
      const base = createMemoryJobStore();
      let failure: unknown = null;
      const store: JobStore = Object.assign(Object.create(base) as JobStore, {
        async get(id: string) {
          if (failure) throw failure;
          return base.get(id);
        },
      });
      const s = await server(t, { store, logger });
      failure = new Error('disk on fire at /var/secret/path');
      const res = await s.authed('/jobs/abc123');
      const text = await res.text();
      expect(res.status).toBe(500);
      expect(JSON.parse(text)).toEqual({ error: { code: 'INTERNAL', message: 'internal server error' } });
      expect(text).not.toContain('secret');
      expect(logged).toHaveLength(1);
      expect(String((logged[0]!.err as Error).message)).toContain('disk on fire');
      failure = new JobkitError('STORAGE_FAILED', 'database locked');
      expect(await errorOf(await s.authed('/jobs/abc123'))).toMatchObject({ status: 500, code: 'INTERNAL' });
      failure = new JobkitError('RATE_LIMITED', 'slow down', { retryAfterMs: 2_500 });
      const limited = await s.authed('/jobs/abc123');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('3');
    });
  });

  describe('health and readiness', () => {
    it('healthz is open; readyz pings the store and answers 503 when it fails', async () => {
      const base = createMemoryJobStore();
      let down = false;
      const store: JobStore = Object.assign(Object.create(base) as JobStore, {
        async ping() {
          if (down) throw new Error('connection refused');
        },
      });
      const s = await server(t, { store });
      expect(await (await s.fetch(`${s.api}/healthz`)).json()).toEqual({ status: 'ok' });
      expect((await s.fetch(`${s.api}/readyz`)).status).toBe(200);
      down = true;
      expect(await errorOf(await s.fetch(`${s.api}/readyz`))).toMatchObject({ status: 503, code: 'STORAGE_FAILED' });
      expect((await s.fetch(`${s.api}/healthz`)).status).toBe(200);
    });
  });
});
