/**
 * The review hold, the quality verdict on the job and the local-first segmenter chain, end to end on the
 * worker with the memory stores and the core's fakes.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createJobService,
  createMemoryJobStore,
  createMemoryObjectStore,
  createSegmenterChain,
  createWorker,
  JobkitError,
  keys,
  type CutoutQuality,
  type JobServiceOptions,
  type Segmenter,
} from 'jobkit';
import {
  codeOf,
  createFakeBackgroundGenerator,
  createFakeClock,
  createFakeCompositor,
  createFakeQualityGate,
  createFakeSegmenter,
  createFakeStorefront,
} from 'jobkit/testing';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const good: CutoutQuality = { score: 0.97, reasons: [] };
const doubtful: CutoutQuality = { score: 0.2, reasons: ['thin-result: the cut is a thin line, not a product'] };

function setup(o: { segmenter?: Segmenter; service?: Partial<JobServiceOptions>; gate?: ReturnType<typeof createFakeQualityGate> } = {}) {
  const clock = createFakeClock('2026-06-01T09:00:00.000Z');
  const store = createMemoryJobStore();
  const objects = createMemoryObjectStore({ clock });
  const service = createJobService({ store, clock, ...o.service });
  const segmenter = o.segmenter ?? createFakeSegmenter({ quality: good });
  const storefront = createFakeStorefront();
  const compositor = createFakeCompositor();
  const worker = createWorker({
    service,
    objects,
    segmenter,
    backgrounds: createFakeBackgroundGenerator(),
    compositor,
    storefront,
    clock,
    leaseMs: 10_000,
    pollIntervalMs: 20,
    retry: { jitter: 'none' },
    ...(o.gate ? { qualityGate: o.gate } : {}),
  });
  async function photo(sku: string, themes: string[] = ['default']) {
    const bytes = Buffer.from(`photo of ${sku}`);
    const key = `uploads/${sku}/${sha(bytes)}.jpg`;
    await objects.put(key, bytes, { contentType: 'image/jpeg' });
    const jobs = [];
    for (const theme of themes) jobs.push((await service.createJob({ sku, sha256: sha(bytes), originalKey: key, theme, autoStart: true })).job);
    return jobs;
  }
  return { clock, store, objects, service, worker, storefront, compositor, photo };
}

describe('quality on the job and the review hold', () => {
  it('a confident cut goes straight to the storefront with its quality recorded', async () => {
    const t = setup();
    const [job] = await t.photo('GOOD-1');
    await t.worker.runUntilIdle();
    const done = (await t.service.getJob(job!.id))!;
    expect(done.status).toBe('DONE');
    expect(done.quality).toEqual(good);
    expect((await t.service.listJobEvents(job!.id)).map((e) => e.to)).not.toContain('REVIEW');
  });

  it('a doubtful cut waits in REVIEW with its reasons; nothing reaches the storefront until approved', async () => {
    const t = setup({ segmenter: createFakeSegmenter({ quality: doubtful }) });
    const [job] = await t.photo('WHITE-BOTTLE');
    await t.worker.runUntilIdle();
    const held = (await t.service.getJob(job!.id))!;
    expect(held).toMatchObject({ status: 'REVIEW', quality: doubtful, leaseOwner: null });
    expect(held.compositeKeys.length).toBeGreaterThan(0);
    expect(t.storefront.calls).toBe(0);
    const events = await t.service.listJobEvents(job!.id);
    expect(events.at(-1)).toMatchObject({ from: 'COMPOSITING', to: 'REVIEW' });
    expect(events.at(-1)!.message).toMatch(/held for review: low-score: quality 0\.20 is below 0\.6; thin-result/);
    // The worker never claims a job waiting for a person, however long it waits.
    t.clock.advance(86_400_000);
    expect(await t.worker.runUntilIdle()).toBe(0);
    expect(t.storefront.calls).toBe(0);
    expect((await t.service.listJobs({ status: 'REVIEW' })).jobs.map((j) => j.id)).toEqual([job!.id]);
    expect((await t.service.getJobStats()).byStatus.REVIEW).toBe(1);

    const approved = await t.service.approveJob(job!.id);
    expect(approved.status).toBe('SHOPIFY_PUSH');
    await t.worker.runUntilIdle();
    expect((await t.service.getJob(job!.id))!.status).toBe('DONE');
    expect(t.storefront.calls).toBe(1);
  });

  it('reject fails the job with REJECTED (not retryable by the worker) and the reason', async () => {
    const t = setup({ segmenter: createFakeSegmenter({ quality: doubtful }) });
    const [job] = await t.photo('REJECT-ME');
    await t.worker.runUntilIdle();
    const rejected = await t.service.rejectJob(job!.id, { reason: 'only the cap ring was cut out' });
    expect(rejected).toMatchObject({ status: 'FAILED', errorCode: 'REJECTED', errorMessage: 'only the cap ring was cut out', failedStatus: 'REVIEW' });
    await t.worker.runUntilIdle();
    expect(t.storefront.calls).toBe(0);
    expect(JobkitError.is(new JobkitError('REJECTED', 'x'), 'REJECTED') && new JobkitError('REJECTED', 'x').retryable).toBe(false);
  });

  it('approve and reject outside REVIEW are INVALID_TRANSITION; bad reject input is INVALID_INPUT and changes nothing', async () => {
    const t = setup({ segmenter: createFakeSegmenter({ quality: doubtful }) });
    const [job] = await t.photo('CHECKS');
    expect(await codeOf(t.service.approveJob(job!.id))).toBe('INVALID_TRANSITION');
    expect(await codeOf(t.service.rejectJob(job!.id, { reason: 'x' }))).toBe('INVALID_TRANSITION');
    await t.worker.runUntilIdle();
    const before = (await t.service.getJob(job!.id))!;
    expect(await codeOf(t.service.rejectJob(job!.id, { reason: '   ' }))).toBe('INVALID_INPUT');
    expect(await codeOf(t.service.rejectJob(job!.id, { reason: 'bad', retryWith: 'magic' as 'hosted' }))).toBe('INVALID_INPUT');
    // No hosted segmenter configured on this service: asking for one is refused up front.
    expect(await codeOf(t.service.rejectJob(job!.id, { reason: 'bad', retryWith: 'hosted' }))).toBe('INVALID_INPUT');
    expect(await codeOf(t.service.approveJob('no-such-job'))).toBe('NOT_FOUND');
    expect(await t.service.getJob(job!.id)).toEqual(before);
  });

  it("policy 'always' holds every job, 'never' none, whatever the score", async () => {
    const always = setup({ service: { review: 'always' } });
    const [a] = await always.photo('ALWAYS');
    await always.worker.runUntilIdle();
    expect((await always.service.getJob(a!.id))!.status).toBe('REVIEW');

    const never = setup({ service: { review: 'never' }, segmenter: createFakeSegmenter({ quality: doubtful }) });
    const [b] = await never.photo('NEVER');
    await never.worker.runUntilIdle();
    expect((await never.service.getJob(b!.id))!.status).toBe('DONE');
    expect(await codeOf(Promise.resolve().then(() => createJobService({ store: createMemoryJobStore(), review: 'sometimes' as 'never' })))).toBe(
      'INVALID_INPUT',
    );
    expect(await codeOf(Promise.resolve().then(() => createJobService({ store: createMemoryJobStore(), reviewMinScore: 2 })))).toBe('INVALID_INPUT');
  });

  it('a cut nobody scored is held under doubtful; with a gate, the gate scores it (once per photo)', async () => {
    const unscored = setup({ segmenter: createFakeSegmenter({ quality: null }) });
    const [u] = await unscored.photo('UNSCORED');
    await unscored.worker.runUntilIdle();
    const held = (await unscored.service.getJob(u!.id))!;
    expect(held.status).toBe('REVIEW');
    expect(held.quality).toBeNull();
    expect((await unscored.service.listJobEvents(u!.id)).at(-1)!.message).toMatch(/not-scored/);

    const gate = createFakeQualityGate({ score: 0.9, reasons: [] });
    const gated = setup({ segmenter: createFakeSegmenter({ quality: null }), gate });
    const jobs = await gated.photo('GATED', ['default', 'studio']);
    await gated.worker.runUntilIdle();
    for (const j of jobs) expect((await gated.service.getJob(j.id))!).toMatchObject({ status: 'DONE', quality: { score: 0.9, reasons: [] } });
    expect(gate.inputs).toHaveLength(1);
    expect(gate.inputs[0]!.original.toString()).toBe('photo of GATED');
  });

  it('a mask stored by 0.1 (no verdict beside it) is scored by the gate when a job reuses it', async () => {
    const gate = createFakeQualityGate(doubtful);
    const t = setup({ gate });
    const bytes = Buffer.from('photo of OLD');
    const s = sha(bytes);
    await t.objects.put(keys.mask({ sku: 'OLD', sha256: s }), Buffer.from('an old cutout'), { contentType: 'image/png' });
    const [job] = await t.photo('OLD');
    await t.worker.runUntilIdle();
    expect((await t.service.getJob(job!.id))!).toMatchObject({ status: 'REVIEW', quality: doubtful });
    expect(gate.inputs.map((i) => i.cutout.toString())).toEqual(['an old cutout']);
  });

  it('a 0.1 job already past segmentation (no verdict on the job) is scored by the gate before the review decision', async () => {
    const gate = createFakeQualityGate(doubtful);
    const t = setup({ gate });
    const bytes = Buffer.from('photo of MID');
    const s = sha(bytes);
    const original = `uploads/MID/${s}.jpg`;
    const mask = keys.mask({ sku: 'MID', sha256: s });
    const background = keys.background({ sku: 'MID', sha256: s, theme: 'default' }, 1);
    await t.objects.put(original, bytes);
    await t.objects.put(mask, Buffer.from('a 0.1 cutout'));
    await t.objects.put(background, Buffer.from('a 0.1 background'));
    const { job } = await t.service.createJob({ sku: 'MID', sha256: s, originalKey: original, autoStart: true });
    // Walk it to COMPOSITING the way 0.1 left such jobs: mask and backgrounds recorded, no quality.
    let j = (await t.service.claimJobs({ owner: 'old', leaseMs: 1000, limit: 1 }))[0]!;
    for (const updates of [{ originalKey: original }, { maskKey: mask, quality: null }, { backgroundKeys: [background] }])
      j = await t.service.completeStep(j, { updates, costUsd: 0, skipped: false });
    await t.service.releaseLease(j, 'old');
    expect(j).toMatchObject({ status: 'COMPOSITING', quality: null });
    await t.worker.runUntilIdle();
    expect((await t.service.getJob(job.id))!).toMatchObject({ status: 'REVIEW', quality: doubtful });
    expect(gate.inputs.map((i) => i.cutout.toString())).toEqual(['a 0.1 cutout']);
  });

  it('external drivers report quality with completeSegmentation; without it they are not held under doubtful', async () => {
    const t = setup();
    const run = async (sku: string, quality?: CutoutQuality) => {
      const { job } = await t.service.createJob({ sku, sha256: sha(Buffer.from(sku)), imageUrl: 'https://cdn.example.com/a.jpg' });
      await t.service.startJob(job.id, { driver: 'external' });
      await t.service.completeSegmentation(job.id, { maskKey: `masks/${sku}/m.png`, ...(quality ? { quality } : {}) });
      await t.service.completeBackgrounds(job.id, { backgroundKeys: [`backgrounds/default/${sku}/b_1.jpg`] });
      return t.service.completeComposite(job.id, { compositeKeys: [`composites/default/${sku}/c.jpg`] });
    };
    expect((await run('EXT-NOQ')).status).toBe('SHOPIFY_PUSH');
    expect(await run('EXT-BAD', doubtful)).toMatchObject({ status: 'REVIEW', quality: doubtful });
    expect(await codeOf(run('EXT-WRONG', { score: 7, reasons: [] }))).toBe('INVALID_INPUT');
  });
});

describe('segmenter chain: local first, hosted when needed', () => {
  const chainSetup = (
    local: ReturnType<typeof createFakeSegmenter>,
    hosted: ReturnType<typeof createFakeSegmenter>,
    gate?: ReturnType<typeof createFakeQualityGate>,
  ) => setup({ segmenter: createSegmenterChain([local, hosted], gate ? { gate } : {}), service: { hostedSegmenter: true } });

  it('a confident local cut never calls (or pays) the hosted segmenter', async () => {
    const local = createFakeSegmenter({ name: 'local', quality: good });
    const hosted = createFakeSegmenter({ name: 'hosted', costUsd: 0.01, quality: good });
    const t = chainSetup(local, hosted);
    const [job] = await t.photo('COLOURFUL');
    await t.worker.runUntilIdle();
    expect((await t.service.getJob(job!.id))!).toMatchObject({ status: 'DONE', costUsd: 0 });
    expect([local.calls, hosted.calls]).toEqual([1, 0]);
  });

  it('local refuses the photo → hosted is called once, its cost recorded once, both themes share the mask', async () => {
    const local = createFakeSegmenter({ name: 'local', failures: [{ code: 'SEGMENT_FAILED', message: 'background not uniform', retryable: false }] });
    const hosted = createFakeSegmenter({ name: 'hosted', costUsd: 0.0014, quality: null });
    const gate = createFakeQualityGate(good);
    const t = chainSetup(local, hosted, gate);
    const jobs = await t.photo('LIFESTYLE', ['default', 'studio']);
    await t.worker.runUntilIdle();
    const done = await Promise.all(jobs.map(async (j) => (await t.service.getJob(j.id))!));
    expect(done.map((j) => j.status)).toEqual(['DONE', 'DONE']);
    expect([local.calls, hosted.calls]).toEqual([1, 1]);
    expect(done.map((j) => j.costUsd).sort()).toEqual([0, 0.0014]);
    expect(done[0]!.quality).toEqual(good);
    expect((await t.objects.get(done[0]!.maskKey!)).toString()).toMatch(/:hosted:/);
  });

  it('a doubtful local cut goes hosted; a retryable local failure is retried locally, not sent hosted', async () => {
    const local = createFakeSegmenter({ name: 'local', quality: doubtful, failures: [{ code: 'SEGMENT_FAILED', message: 'worker thread crashed' }] });
    const hosted = createFakeSegmenter({ name: 'hosted', costUsd: 0.002, quality: good });
    const t = chainSetup(local, hosted);
    const [job] = await t.photo('WHITE-ON-WHITE');
    await t.worker.runUntilIdle();
    t.clock.advance(60_000);
    await t.worker.runUntilIdle();
    expect((await t.service.getJob(job!.id))!).toMatchObject({ status: 'DONE', quality: good, costUsd: 0.002 });
    expect([local.calls, hosted.calls]).toEqual([2, 1]);
  });

  it('reject with retryWith hosted re-segments with the hosted segmenter and re-renders this theme', async () => {
    const local = createFakeSegmenter({ name: 'local', quality: { score: 0.7, reasons: [] } });
    const hosted = createFakeSegmenter({ name: 'hosted', costUsd: 0.003, quality: good });
    const t = setup({ segmenter: createSegmenterChain([local, hosted]), service: { hostedSegmenter: true, review: 'always' } });
    const [job] = await t.photo('LOGO-TEE');
    await t.worker.runUntilIdle();
    const held = (await t.service.getJob(job!.id))!;
    expect(held.status).toBe('REVIEW');
    expect(t.compositor.calls).toBe(1);
    const again = await t.service.rejectJob(job!.id, { reason: 'the white logo became a hole', retryWith: 'hosted' });
    expect(again).toMatchObject({ status: 'SEGMENTING', segmentWith: 'hosted', quality: null, maskKey: null, compositeKeys: [] });
    await t.worker.runUntilIdle();
    const back = (await t.service.getJob(job!.id))!;
    expect(back).toMatchObject({ status: 'REVIEW', segmentWith: null, quality: good, costUsd: 0.003 });
    expect([local.calls, hosted.calls]).toEqual([1, 1]);
    expect(t.compositor.calls).toBe(2); // the rejected composites were replaced, not reused
    expect((await t.objects.get(back.maskKey!)).toString()).toMatch(/:hosted:/);
    await t.service.approveJob(job!.id);
    await t.worker.runUntilIdle();
    expect((await t.service.getJob(job!.id))!.status).toBe('DONE');
  });
});

describe('stored originals are verified before reuse', () => {
  it('an original replaced under its key (another upload) fails the job with CHECKSUM_MISMATCH', async () => {
    const t = setup();
    const bytes = Buffer.from('the real photo');
    const s = sha(bytes);
    // Another theme stored the original, then a presigned PUT overwrote it with other bytes.
    await t.objects.put(keys.original({ sku: 'SWAP', sha256: s }, 'jpg'), Buffer.from('something else'), { contentType: 'image/jpeg' });
    const { job } = await t.service.createJob({ sku: 'SWAP', sha256: s, imageUrl: 'https://cdn.example.com/swap.jpg', autoStart: true });
    await t.worker.runUntilIdle();
    expect((await t.service.getJob(job.id))!).toMatchObject({ status: 'FAILED', errorCode: 'CHECKSUM_MISMATCH', failedStatus: 'QUEUED' });
  });
});
