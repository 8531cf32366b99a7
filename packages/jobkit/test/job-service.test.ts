import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JOB_STATUSES, JobkitError, createJobService, createMemoryJobStore, createMemoryObjectStore, isValidTransition, type JobStatus } from 'jobkit';
import { createFakeClock, randomSha256 } from 'jobkit/testing';

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return JobkitError.is(e) ? `${e.code}${e.details?.['field'] ? `:${String(e.details['field'])}` : ''}` : String(e);
  }
}

function setup(opts: { maxImagesPerSku?: number } = {}) {
  const clock = createFakeClock('2026-04-01T08:00:00.000Z');
  const store = createMemoryJobStore();
  const objects = createMemoryObjectStore({ clock });
  const service = createJobService({ store, clock, objects, ...opts });
  return { clock, store, objects, service };
}
const input = (o: Record<string, unknown> = {}) => ({ sku: 'VWS200433868', sha256: randomSha256(), imageUrl: 'https://cdn.example.com/p/1.jpg', ...o });

describe('JobService.createJob', () => {
  it('a repeated auto-start delivery starts a job an earlier delivery left in NEW; a started job is left alone', async () => {
    const { service } = setup();
    const i = input();
    const first = await service.createJob(i);
    expect(first.job.status).toBe('NEW');
    const again = await service.createJob({ ...i, autoStart: true });
    expect(again).toMatchObject({ created: false, job: { id: first.job.id, status: 'QUEUED', driver: 'worker' } });
    // An external orchestrator's job is not taken over by a later auto-start delivery.
    const ext = await service.createJob(input());
    await service.startJob(ext.job.id, { driver: 'external' });
    const dup = await service.createJob({ sku: ext.job.sku, sha256: ext.job.sha256, imageUrl: 'https://cdn.example.com/p/1.jpg', autoStart: true });
    expect(dup.job).toMatchObject({ id: ext.job.id, driver: 'external', status: 'SEGMENTING' });
    expect((await service.listJobEvents(first.job.id)).map((e) => e.to)).toEqual(['NEW', 'QUEUED']);
  });

  it('creates a NEW job with a creation event and is idempotent on (sku, sha256, theme)', async () => {
    const { service } = setup();
    const i = input();
    const a = await service.createJob(i);
    expect(a.created).toBe(true);
    expect(a.job).toMatchObject({ status: 'NEW', theme: 'default', driver: null, version: 1, imageUrl: i.imageUrl });
    expect(a.job.id).toMatch(/^[A-Za-z0-9_-]{21}$/);
    const b = await service.createJob({ ...i, sha256: i.sha256.toUpperCase() });
    expect(b).toMatchObject({ created: false, job: { id: a.job.id } });
    expect(await service.listJobEvents(a.job.id)).toHaveLength(1);
  });

  it('auto-start creates the job directly as QUEUED for the worker', async () => {
    const { service } = setup();
    const { job } = await service.createJob(input({ autoStart: true }));
    expect(job).toMatchObject({ status: 'QUEUED', driver: 'worker' });
    expect(job.startedAt).not.toBeNull();
    const events = await service.listJobEvents(job.id);
    expect(events.map((e) => [e.from, e.to])).toEqual([[null, 'QUEUED']]);
  });

  it('validates every field, naming it, and writes nothing', async () => {
    const { service, store } = setup();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ sku: '../etc' }, 'INVALID_INPUT:sku'],
      [{ sku: 'a/b' }, 'INVALID_INPUT:sku'],
      [{ sku: '' }, 'INVALID_INPUT:sku'],
      [{ sku: 'x'.repeat(65) }, 'INVALID_INPUT:sku'],
      [{ sha256: 'abc123def456' }, 'INVALID_INPUT:sha256'],
      [{ theme: 'Not A Theme' }, 'INVALID_INPUT:theme'],
      [{ theme: 'neon' }, 'INVALID_INPUT:theme'],
      [{ imageUrl: 'file:///etc/passwd' }, 'INVALID_INPUT:imageUrl'],
      [{ imageUrl: 'http://user:pass@example.com/a.jpg' }, 'INVALID_INPUT:imageUrl'],
      [{ imageUrl: 'http://127.0.0.1/a.jpg' }, 'INVALID_INPUT:imageUrl'],
      [{ imageUrl: 'http://10.0.0.5/a.jpg' }, 'INVALID_INPUT:imageUrl'],
      [{ imageUrl: 'http://169.254.169.254/latest/meta-data/' }, 'INVALID_INPUT:imageUrl'],
      [{ imageUrl: 'http://[::1]/a.jpg' }, 'INVALID_INPUT:imageUrl'],
      [{ imageUrl: 'http://[::ffff:127.0.0.1]/a.jpg' }, 'INVALID_INPUT:imageUrl'],
      [{ imageUrl: 'http://2130706433/a.jpg' }, 'INVALID_INPUT:imageUrl'],
      [{ imageUrl: 'http://0177.0.0.1/a.jpg' }, 'INVALID_INPUT:imageUrl'],
      [{ imageUrl: 'http://localhost:8080/a.jpg' }, 'INVALID_INPUT:imageUrl'],
      [{ imageUrl: 'http://[fd00::1]/a.jpg' }, 'INVALID_INPUT:imageUrl'],
      [{ imageUrl: undefined }, 'INVALID_INPUT:imageUrl'],
      [{ originalKey: 'originals/x/y.jpg' }, 'INVALID_INPUT:originalKey'],
      [{ imageUrl: undefined, originalKey: '../../x.jpg' }, 'INVALID_INPUT:originalKey'],
      [{ extra: 1 }, 'INVALID_INPUT:input'],
    ];
    for (const [override, expected] of cases) expect(await code(service.createJob(input(override) as never)), JSON.stringify(override)).toBe(expected);
    expect(await code(service.createJob(null as never))).toMatch(/^INVALID_INPUT/);
    expect((await store.list({ limit: 10, offset: 0 })).total).toBe(0);
  });

  it('an uploaded original must exist when the service knows the object store', async () => {
    const { service, objects } = setup();
    const sha = randomSha256();
    expect(await code(service.createJob({ sku: 'UP', sha256: sha, originalKey: 'uploads/UP/missing.jpg' }))).toBe('INVALID_INPUT:originalKey');
    await objects.put('uploads/UP/there.jpg', Buffer.from('x'));
    expect((await service.createJob({ sku: 'UP', sha256: sha, originalKey: 'uploads/UP/there.jpg' })).created).toBe(true);
  });

  it('private addresses are accepted when the policy allows them', async () => {
    const store = createMemoryJobStore();
    const service = createJobService({ store, addressPolicy: { allowlist: ['127.0.0.0/8'] } });
    expect((await service.createJob(input({ imageUrl: 'http://127.0.0.1:9999/a.jpg' }))).created).toBe(true);
    expect(await code(service.createJob(input({ imageUrl: 'http://10.0.0.1/a.jpg' })))).toBe('INVALID_INPUT:imageUrl');
  });

  it('enforces the per-SKU photo limit atomically; duplicates still return their job', async () => {
    const { service } = setup({ maxImagesPerSku: 2 });
    const first = await service.createJob(input({ sku: 'LIM' }));
    await service.createJob(input({ sku: 'LIM' }));
    expect(await service.hasReachedImageLimit('LIM')).toBe(true);
    expect(await code(service.createJob(input({ sku: 'LIM' })))).toBe('IMAGE_LIMIT_REACHED');
    const dup = await service.createJob({ sku: 'LIM', sha256: first.job.sha256, imageUrl: first.job.imageUrl! });
    expect(dup.created).toBe(false);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => service.createJob(input({ sku: 'RACE' }))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
  });
});

describe('JobService drivers and step results', () => {
  it('worker start: NEW → QUEUED; repeat returns the job; another driver is a 409', async () => {
    const { service } = setup();
    const { job } = await service.createJob(input());
    const a = await service.startJob(job.id);
    expect(a).toMatchObject({ started: true, job: { status: 'QUEUED', driver: 'worker' } });
    const b = await service.startJob(job.id, { driver: 'worker' });
    expect(b).toMatchObject({ started: false, job: { status: 'QUEUED' } });
    expect(await code(service.startJob(job.id, { driver: 'external' }))).toBe('INVALID_TRANSITION');
    expect(await code(service.completeSegmentation(job.id, { maskKey: 'masks/x/y.png' }))).toBe('INVALID_TRANSITION');
  });

  it('external driver: NEW → SEGMENTING with the original key, then step results to DONE', async () => {
    const { service } = setup();
    const { job } = await service.createJob(input({ imageUrl: 'https://cdn.example.com/p/photo.PNG' }));
    const started = await service.startJob(job.id, { driver: 'external' });
    expect(started.job).toMatchObject({ status: 'SEGMENTING', driver: 'external', originalKey: `originals/VWS200433868/${job.sha256}.png` });
    expect((await service.startJob(job.id, { driver: 'external' })).started).toBe(false);
    await service.completeSegmentation(job.id, { maskKey: `masks/VWS200433868/${job.sha256}.png`, costUsd: 0.01 });
    expect(await code(service.completeBackgrounds(job.id, { backgroundKeys: [] }))).toBe('INVALID_INPUT:backgroundKeys');
    expect(await code(service.completeBackgrounds(job.id, { backgroundKeys: ['../x'] }))).toBe('INVALID_INPUT:backgroundKeys.0');
    await service.completeBackgrounds(job.id, { backgroundKeys: ['backgrounds/default/VWS200433868/a_1.jpg'], costUsd: 0.02 });
    // Out of order: the job is COMPOSITING, not SHOPIFY_PUSH.
    expect(await code(service.completeStorefrontPush(job.id, { mediaIds: ['m'] }))).toBe('INVALID_TRANSITION');
    await service.completeComposite(job.id, { compositeKeys: ['composites/a.jpg', 'composites/b.jpg'], thumbnailKeys: ['thumbs/a.jpg'] });
    expect(await code(service.completeStorefrontPush(job.id, { mediaIds: ['gid://shopify/MediaImage/1'] }))).toBe('INVALID_INPUT:storefrontMediaIds');
    const done = await service.updateJobShopifyMediaIds(job.id, ['gid://shopify/MediaImage/1', 'gid://shopify/MediaImage/2']);
    expect(done).toMatchObject({ status: 'DONE', costUsd: 0.03 });
    expect((await service.listJobEvents(job.id)).map((e) => e.to)).toEqual([
      'NEW',
      'QUEUED',
      'SEGMENTING',
      'BG_GENERATING',
      'COMPOSITING',
      'SHOPIFY_PUSH',
      'DONE',
    ]);
    expect(await code(service.failJob(job.id, { code: 'INTERNAL', message: 'late' }))).toBe('INVALID_TRANSITION');
  });

  it('failJob then retryJob resumes the failed step with attempts reset', async () => {
    const { service } = setup();
    const { job } = await service.createJob(input({ autoStart: true }));
    await service.incrementJobAttempt(job.id);
    const failed = await service.failJob(job.id, { code: 'SEGMENT_FAILED', message: 'AI provider timed out' });
    expect(failed).toMatchObject({ status: 'FAILED', failedStatus: 'QUEUED', errorCode: 'SEGMENT_FAILED', attempts: 1 });
    expect(await code(service.failJob(job.id, { code: 'bad code', message: 'x' }))).toBe('INVALID_INPUT:code');
    const retried = await service.retryJob(job.id);
    expect(retried).toMatchObject({ status: 'QUEUED', attempts: 0, errorCode: null, completedAt: null });
    expect(await code(service.retryJob(job.id))).toBe('INVALID_TRANSITION');
  });

  it('cost, attempts, stats, not found', async () => {
    const { service, clock } = setup();
    const { job } = await service.createJob(input());
    await service.addJobCost(job.id, 0.0125);
    await service.addJobCost(job.id, 0.0125);
    expect(await code(service.addJobCost(job.id, -1))).toBe('INVALID_INPUT:costUsd');
    expect((await service.getJob(job.id))!.costUsd).toBeCloseTo(0.025, 6);
    const stats = await service.getJobStats();
    expect(stats).toMatchObject({ total: 1, costUsdToday: 0.025, costUsdTotal: 0.025 });
    clock.advance(86_400_000);
    expect((await service.getJobStats()).costUsdToday).toBe(0);
    expect(await service.getJob('nope')).toBeNull();
    expect(await code(service.startJob('nope'))).toBe('NOT_FOUND');
    expect(await code(service.getJob('../x'))).toBe('INVALID_INPUT:id');
  });

  it('listJobs filters, caps the limit and validates', async () => {
    const { service } = setup();
    for (let i = 0; i < 5; i++) await service.createJob(input({ sku: `L-${i % 2}`, theme: i % 2 ? 'studio' : 'default' }));
    const page = await service.listJobs({ limit: 10_000 });
    expect(page).toMatchObject({ total: 5, limit: 200, offset: 0 });
    expect((await service.listJobs({ sku: 'L-1' })).total).toBe(2);
    expect((await service.listJobs({ theme: 'studio', status: 'NEW' })).total).toBe(2);
    expect(await code(service.listJobs({ status: 'BOGUS' as JobStatus }))).toBe('INVALID_INPUT:status');
    expect(await code(service.listJobs({ limit: 0 }))).toBe('INVALID_INPUT:limit');
  });

  it('a concurrent writer gets CONFLICT, never a lost update', async () => {
    const { service } = setup();
    const { job } = await service.createJob(input({ autoStart: true }));
    await service.recordProviderRef(job, 'first');
    expect(await code(service.recordProviderRef(job, 'second'))).toBe('CONFLICT');
    expect((await service.getJob(job.id))!.providerRef).toBe('first');
  });

  it('deleteOldJobs removes old finished jobs and their objects, sparing what live jobs share', async () => {
    const { service, objects, clock } = setup();
    const sha = randomSha256();
    const put = (k: string) => objects.put(k, Buffer.from(k));
    const mk = async (theme: string) => {
      const { job } = await service.createJob({ sku: 'CLEAN', sha256: sha, imageUrl: 'https://cdn.example.com/x.jpg', theme });
      await service.startJob(job.id, { driver: 'external' });
      return job.id;
    };
    const oldId = await mk('default');
    const liveId = await mk('studio');
    const mask = `masks/CLEAN/${sha}.png`;
    const comp = `composites/default/CLEAN/${sha}_1x1_1_master.jpg`;
    for (const k of [mask, comp, 'backgrounds/default/CLEAN/b_1.jpg']) await put(k);
    await service.completeSegmentation(oldId, { maskKey: mask });
    await service.completeSegmentation(liveId, { maskKey: mask });
    await service.completeBackgrounds(oldId, { backgroundKeys: ['backgrounds/default/CLEAN/b_1.jpg'] });
    await service.completeComposite(oldId, { compositeKeys: [comp] });
    await service.completeStorefrontPush(oldId, { mediaIds: ['m1'] });
    clock.advance(31 * 86_400_000);
    const res = await service.deleteOldJobs(30);
    expect(res.deleted).toBe(1);
    expect(await objects.exists(comp)).toBe(false);
    expect(await objects.exists('backgrounds/default/CLEAN/b_1.jpg')).toBe(false);
    expect(await objects.exists(mask)).toBe(true); // the live studio job still uses it
    expect((await service.listJobs({})).jobs.map((j) => j.id)).toEqual([liveId]);
    // The identity is kept: a re-delivery is a duplicate.
    expect((await service.createJob({ sku: 'CLEAN', sha256: sha, imageUrl: 'https://cdn.example.com/x.jpg' })).created).toBe(false);
    expect(await code(service.deleteOldJobs(-1))).toBe('INVALID_INPUT:days');
  });
});

describe('property: random operation sequences stay inside the graph', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('start' as const), driver: fc.constantFrom('worker' as const, 'external' as const) }),
    fc.record({ kind: fc.constant('seg' as const), score: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }) }),
    fc.record({ kind: fc.constant('approve' as const) }),
    fc.record({ kind: fc.constant('reject' as const), hosted: fc.boolean() }),
    fc.record({ kind: fc.constant('bg' as const) }),
    fc.record({ kind: fc.constant('comp' as const) }),
    fc.record({ kind: fc.constant('push' as const), n: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ kind: fc.constant('fail' as const) }),
    fc.record({ kind: fc.constant('retry' as const) }),
    fc.record({ kind: fc.constant('attempt' as const) }),
    fc.record({ kind: fc.constant('cost' as const) }),
  );

  it('never reaches a status outside the graph; retryJob is the only exit from FAILED; only approve, reject or fail leave REVIEW', async () => {
    let leftReview = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 4 }),
        fc.array(op, { maxLength: 20 }),
        fc.constantFrom('doubtful' as const, 'always' as const, 'never' as const),
        async (prefix, rest, review) => {
          // Random sequences rarely walk the whole pipeline; a prefix of the external happy path gets them to REVIEW.
          const happy = [
            { kind: 'start' as const, driver: 'external' as const },
            { kind: 'seg' as const, score: 0.1 },
            { kind: 'bg' as const },
            { kind: 'comp' as const },
          ];
          const ops = [...happy.slice(0, prefix), ...rest];
          const clock = createFakeClock('2026-04-01T08:00:00.000Z');
          const service = createJobService({ store: createMemoryJobStore(), clock, review, hostedSegmenter: true });
          const { job } = await service.createJob(input());
          let prev: JobStatus = job.status;
          for (const o of ops) {
            try {
              if (o.kind === 'start') await service.startJob(job.id, { driver: o.driver });
              else if (o.kind === 'seg')
                await service.completeSegmentation(job.id, {
                  maskKey: 'masks/a/b.png',
                  ...(o.score === undefined ? {} : { quality: { score: o.score, reasons: [] } }),
                });
              else if (o.kind === 'approve') await service.approveJob(job.id);
              else if (o.kind === 'reject') await service.rejectJob(job.id, { reason: 'wrong cut', ...(o.hosted ? { retryWith: 'hosted' as const } : {}) });
              else if (o.kind === 'bg') await service.completeBackgrounds(job.id, { backgroundKeys: ['bg/1.jpg'] });
              else if (o.kind === 'comp') await service.completeComposite(job.id, { compositeKeys: ['c/1.jpg', 'c/2.jpg'] });
              else if (o.kind === 'push') await service.completeStorefrontPush(job.id, { mediaIds: Array.from({ length: o.n }, (_, i) => `m${i}`) });
              else if (o.kind === 'fail') await service.failJob(job.id, { code: 'INTERNAL', message: 'x' });
              else if (o.kind === 'retry') await service.retryJob(job.id);
              else if (o.kind === 'attempt') await service.incrementJobAttempt(job.id);
              else await service.addJobCost(job.id, 0.01);
            } catch (e) {
              if (!JobkitError.is(e)) throw e;
              expect(['INVALID_TRANSITION', 'INVALID_INPUT']).toContain(e.code);
            }
            const now = (await service.getJob(job.id))!;
            expect(JOB_STATUSES).toContain(now.status);
            // Each event is a valid transition, a same-status write, or retryJob leaving FAILED.
            if (now.status !== prev) {
              if (prev === 'REVIEW') {
                expect(['approve', 'reject', 'fail']).toContain(o.kind);
                leftReview++;
              }
              // REVIEW is entered by compositing, or by retrying a job that failed in it (e.g. a rejection reconsidered).
              if (now.status === 'REVIEW') expect(['comp', 'retry']).toContain(o.kind);
              const fromFailed = prev === 'FAILED';
              if (fromFailed) expect(o.kind).toBe('retry');
              else if (!(prev === 'NEW' && now.status === 'SEGMENTING')) expect(isValidTransition(prev, now.status)).toBe(true);
            }
            prev = now.status;
          }
          const events = await service.listJobEvents(job.id);
          for (const e of events.slice(1)) {
            if (e.from === e.to) continue;
            if (e.from === 'FAILED') expect(e.message).toBe('retried by operator');
            else expect(isValidTransition(e.from!, e.to)).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
    // The generated sequences do reach REVIEW and leave it (the property above is not vacuous).
    expect(leftReview).toBeGreaterThan(0);
  });
});
