/**
 * Conformance suite for JobStore implementations: memory, SQLite, PostgreSQL, and any store you write.
 *   runJobStoreConformance({ name: 'my store', create: async () => store, destroy: (s) => s.close() });
 * `create` must return an empty store each time.
 */
import * as vitest from 'vitest';
import { JobkitError } from 'jobkit';
import { codeOf } from './rejection.js';
import type { Job } from 'jobkit';
import type { JobStore } from 'jobkit';
import { creationEvent, eventFor, makeJob, randomSha256 } from './job-factory.js';

export interface JobStoreConformanceOptions {
  name: string;
  create: () => Promise<JobStore> | JobStore;
  destroy?: (store: JobStore) => Promise<void> | void;
  vitest?: Pick<typeof vitest, 'describe' | 'it' | 'expect' | 'beforeEach' | 'afterEach'>;
}

const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);

export function runJobStoreConformance(opts: JobStoreConformanceOptions): void {
  const { describe, it, expect, beforeEach, afterEach } = opts.vitest ?? vitest;

  describe(`JobStore conformance: ${opts.name}`, () => {
    let store: JobStore;
    beforeEach(async () => {
      store = await opts.create();
    });
    afterEach(async () => {
      await opts.destroy?.(store);
    });

    const insert = async (overrides: Partial<Job> = {}, limit?: number) => {
      const job = makeJob(overrides, T0);
      return store.insertOrGet(job, creationEvent(job), limit === undefined ? {} : { maxImagesPerSku: limit });
    };
    /** A worker-driven QUEUED job. */
    const queued = async (overrides: Partial<Job> = {}) =>
      (await insert({ status: 'QUEUED', driver: 'worker', startedAt: T0.toISOString(), ...overrides })).job;

    describe('insertOrGet', () => {
      it('inserts a new job and returns it exactly', async () => {
        const job = makeJob({ sku: 'A-1' }, T0);
        const res = await store.insertOrGet(job, creationEvent(job));
        expect(res.created).toBe(true);
        expect(res.job).toEqual(job);
        expect(await store.get(job.id)).toEqual(job);
      });

      it('returns the existing job for the same identity, writing nothing', async () => {
        const first = await insert({ sku: 'A-1', sha256: 'a'.repeat(64), theme: 'default' });
        const second = await insert({ sku: 'A-1', sha256: 'a'.repeat(64), theme: 'default' });
        expect(second.created).toBe(false);
        expect(second.job.id).toBe(first.job.id);
        expect((await store.list({ limit: 10, offset: 0 })).total).toBe(1);
        expect(await store.listEvents(first.job.id)).toHaveLength(1);
      });

      it('treats another theme of the same photo as another identity', async () => {
        const a = await insert({ sku: 'A-1', sha256: 'b'.repeat(64), theme: 'default' });
        const b = await insert({ sku: 'A-1', sha256: 'b'.repeat(64), theme: 'studio' });
        expect(a.created && b.created).toBe(true);
        expect(a.job.id).not.toBe(b.job.id);
      });

      it('50 concurrent inserts of one identity make exactly one job', async () => {
        const sha = randomSha256();
        const results = await Promise.all(Array.from({ length: 50 }, () => insert({ sku: 'RACE', sha256: sha })));
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
        expect((await store.list({ sku: 'RACE', limit: 100, offset: 0 })).total).toBe(1);
      });

      it('20 concurrent different photos of one SKU with limit 5 make exactly 5 jobs', async () => {
        const results = await Promise.allSettled(Array.from({ length: 20 }, () => insert({ sku: 'LIMITED' }, 5)));
        const ok = results.filter((r) => r.status === 'fulfilled');
        const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(ok).toHaveLength(5);
        expect(rejected.every((r) => JobkitError.is(r.reason, 'IMAGE_LIMIT_REACHED'))).toBe(true);
        expect((await store.list({ sku: 'LIMITED', limit: 100, offset: 0 })).total).toBe(5);
        expect(await store.countImagesForSku('LIMITED')).toBe(5);
      });

      it('the limit counts photos, not themes, and ignores failed jobs; a duplicate still returns its job', async () => {
        const sha = randomSha256();
        await insert({ sku: 'L2', sha256: sha, theme: 'default' }, 1);
        const otherTheme = await insert({ sku: 'L2', sha256: sha, theme: 'studio' }, 1);
        expect(otherTheme.created).toBe(true);
        expect(await codeOf(insert({ sku: 'L2' }, 1))).toBe('IMAGE_LIMIT_REACHED');
        const dup = await insert({ sku: 'L2', sha256: sha, theme: 'default' }, 1);
        expect(dup.created).toBe(false);
        await insert({ sku: 'L3', status: 'FAILED', failedStatus: 'QUEUED', completedAt: T0.toISOString() });
        expect(await store.countImagesForSku('L3')).toBe(0);
        expect((await insert({ sku: 'L3' }, 1)).created).toBe(true);
      });
    });

    describe('update (compare-and-set)', () => {
      it('writes the job, bumps the version and appends exactly one event', async () => {
        const { job } = await insert();
        const next: Job = { ...job, status: 'QUEUED', driver: 'worker', updatedAt: at(1000).toISOString(), costUsd: 0.25, backgroundKeys: ['b/1.jpg'] };
        const stored = await store.update(next, eventFor(job, 'QUEUED', { costUsd: 0.25, at: at(1000).toISOString() }));
        expect(stored.version).toBe(job.version + 1);
        expect(stored).toEqual({ ...next, version: job.version + 1 });
        expect(await store.get(job.id)).toEqual(stored);
        const events = await store.listEvents(job.id);
        expect(events).toHaveLength(2);
        expect(events[1]).toMatchObject({ jobId: job.id, from: 'NEW', to: 'QUEUED', costUsd: 0.25 });
        expect(events[1]!.id).toBeGreaterThan(events[0]!.id);
      });

      it('refuses a stale version with CONFLICT and writes nothing', async () => {
        const { job } = await insert();
        await store.update({ ...job, costUsd: 1 }, eventFor(job));
        const code = await codeOf(store.update({ ...job, costUsd: 99 }, eventFor(job)));
        expect(code).toBe('CONFLICT');
        expect((await store.get(job.id))?.costUsd).toBe(1);
        expect(await store.listEvents(job.id)).toHaveLength(2);
      });

      it('concurrent writers with the same version: exactly one wins', async () => {
        const { job } = await insert();
        const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.update({ ...job, costUsd: i }, eventFor(job))));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(await store.listEvents(job.id)).toHaveLength(2);
      });

      it('NOT_FOUND for an unknown job', async () => {
        const job = makeJob({}, T0);
        expect(await codeOf(store.update(job, eventFor(job)))).toBe('NOT_FOUND');
      });

      it('never changes identity or createdAt', async () => {
        const { job } = await insert({ sku: 'KEEP' });
        const stored = await store.update({ ...job, sku: 'OTHER', createdAt: at(5).toISOString() }, eventFor(job));
        expect(stored.sku).toBe('KEEP');
        expect(stored.createdAt).toBe(job.createdAt);
      });
    });

    describe('round-trips', () => {
      it('JSON arrays, nulls, numbers and millisecond timestamps come back exactly', async () => {
        const { job } = await insert({
          imageUrl: null,
          originalKey: 'originals/S/x.jpg',
          maskKey: 'masks/S/x.png',
          backgroundKeys: ['backgrounds/default/S/x_1.jpg', 'backgrounds/default/S/x_2.jpg'],
          compositeKeys: ['c/1', 'c/2', 'c/3'],
          thumbnailKeys: ['t/1'],
          derivativeKeys: [],
          storefrontMediaIds: ['gid://shopify/MediaImage/1', 'local:S/a "quoted" ünïcode.jpg'],
          costUsd: 0.012345,
          nextRunAt: '2026-03-01T10:00:00.123Z',
          errorMessage: 'it\'s "quoted"\nmultiline',
          attempts: 3,
          maxAttempts: 7,
          providerRef: 'pred_123',
          quality: { score: 0.4125, reasons: ['low-coverage: the product covers 0.4 % of the frame', 'ünïcode "quoted"'] },
          segmentWith: 'hosted',
        });
        expect(await store.get(job.id)).toEqual(job);
        const listed = (await store.list({ limit: 5, offset: 0 })).jobs[0];
        expect(listed).toEqual(job);
      });

      it('quality and segmentWith are written by update and can be cleared again', async () => {
        const { job } = await insert({ status: 'SEGMENTING', driver: 'worker', originalKey: 'originals/S/x.jpg' });
        const scored = await store.update({ ...job, quality: { score: 1, reasons: [] }, updatedAt: at(1).toISOString() }, eventFor(job));
        expect((await store.get(job.id))?.quality).toEqual({ score: 1, reasons: [] });
        await store.update({ ...scored, quality: null, segmentWith: 'hosted', updatedAt: at(2).toISOString() }, eventFor(scored));
        expect(await store.get(job.id)).toMatchObject({ quality: null, segmentWith: 'hosted' });
      });
    });

    describe('REVIEW', () => {
      const review = (overrides: Partial<Job> = {}) =>
        insert({
          status: 'REVIEW',
          driver: 'worker',
          maskKey: 'masks/S/x.png',
          compositeKeys: ['c/1'],
          quality: { score: 0.3, reasons: ['doubt: test'] },
          ...overrides,
        });

      it('a job waiting in REVIEW is never claimed, whatever its lease or due time', async () => {
        await review();
        await review({ nextRunAt: at(-60_000).toISOString(), leaseOwner: 'gone', leaseExpiresAt: at(-1).toISOString() });
        expect(await store.claimDue({ owner: 'w', now: at(0), leaseMs: 1000, limit: 10 })).toEqual([]);
      });

      it('is listed by its status filter and counted in stats', async () => {
        const r = await review();
        await queued();
        expect((await store.list({ status: 'REVIEW', limit: 10, offset: 0 })).jobs.map((j) => j.id)).toEqual([r.job.id]);
        const s = await store.stats(at(0));
        expect(s.byStatus.REVIEW).toBe(1);
        expect(s.byStatus.QUEUED).toBe(1);
        expect(s.total).toBe(2);
      });

      it('an approved job (REVIEW → SHOPIFY_PUSH) becomes claimable', async () => {
        const { job } = await review();
        await store.update({ ...job, status: 'SHOPIFY_PUSH', updatedAt: at(1).toISOString() }, eventFor(job, 'SHOPIFY_PUSH'));
        const claimed = await store.claimDue({ owner: 'w', now: at(2), leaseMs: 1000, limit: 10 });
        expect(claimed.map((j) => j.id)).toEqual([job.id]);
      });
    });

    describe('list', () => {
      it('filters, orders newest first, paginates and counts', async () => {
        for (let i = 0; i < 7; i++) {
          const j = makeJob(
            {
              sku: i % 2 ? 'ODD' : 'EVEN',
              theme: i < 4 ? 'default' : 'studio',
              createdAt: at(i * 1000).toISOString(),
              updatedAt: at(i * 1000).toISOString(),
              status: i === 6 ? 'QUEUED' : 'NEW',
              driver: i === 6 ? 'worker' : null,
            },
            T0,
          );
          await store.insertOrGet(j, creationEvent(j));
        }
        const all = await store.list({ limit: 3, offset: 0 });
        expect(all.total).toBe(7);
        expect(all.jobs).toHaveLength(3);
        const times = all.jobs.map((j) => j.createdAt);
        expect([...times].sort().reverse()).toEqual(times);
        const page3 = await store.list({ limit: 3, offset: 6 });
        expect(page3.jobs).toHaveLength(1);
        expect(page3.total).toBe(7);
        expect((await store.list({ sku: 'ODD', limit: 50, offset: 0 })).total).toBe(3);
        expect((await store.list({ theme: 'studio', limit: 50, offset: 0 })).total).toBe(3);
        expect((await store.list({ status: 'QUEUED', limit: 50, offset: 0 })).jobs.map((j) => j.sku)).toEqual(['EVEN']);
        expect((await store.list({ sku: 'EVEN', theme: 'default', limit: 50, offset: 0 })).total).toBe(2);
        expect((await store.list({ sku: 'NONE', limit: 50, offset: 0 })).jobs).toEqual([]);
      });
    });

    describe('claims', () => {
      it('claims due worker-driven jobs with a lease from the claim time and a bumped version', async () => {
        const job = await queued();
        const [claimed, ...rest] = await store.claimDue({ owner: 'w1', now: at(10), leaseMs: 30_000, limit: 10 });
        expect(rest).toHaveLength(0);
        expect(claimed).toMatchObject({ id: job.id, leaseOwner: 'w1', leaseExpiresAt: at(30_010).toISOString(), version: job.version + 1 });
        expect(await store.get(job.id)).toEqual(claimed);
      });

      it('does not claim NEW, terminal, external or future jobs', async () => {
        await insert({ status: 'NEW' });
        await insert({ status: 'QUEUED', driver: 'external' });
        await insert({ status: 'DONE', driver: 'worker', completedAt: T0.toISOString() });
        await insert({ status: 'FAILED', driver: 'worker', failedStatus: 'SEGMENTING', completedAt: T0.toISOString() });
        const future = await queued({ nextRunAt: at(60_000).toISOString() });
        expect(await store.claimDue({ owner: 'w', now: at(0), leaseMs: 1000, limit: 10 })).toEqual([]);
        const later = await store.claimDue({ owner: 'w', now: at(60_000), leaseMs: 1000, limit: 10 });
        expect(later.map((j) => j.id)).toEqual([future.id]);
      });

      it('claims every step status', async () => {
        for (const status of ['SEGMENTING', 'BG_GENERATING', 'COMPOSITING', 'SHOPIFY_PUSH'] as const) await queued({ status });
        expect(await store.claimDue({ owner: 'w', now: at(0), leaseMs: 1000, limit: 10 })).toHaveLength(4);
      });

      it('respects the limit and claims oldest due first', async () => {
        const a = await queued({ nextRunAt: at(-3000).toISOString() });
        const b = await queued({ nextRunAt: at(-2000).toISOString() });
        await queued({ nextRunAt: at(-1000).toISOString() });
        const got = await store.claimDue({ owner: 'w', now: at(0), leaseMs: 1000, limit: 2 });
        expect(got.map((j) => j.id)).toEqual([a.id, b.id]);
      });

      it('two concurrent claimers never get the same job', async () => {
        for (let i = 0; i < 30; i++) await queued();
        const results = await Promise.all(Array.from({ length: 6 }, (_, i) => store.claimDue({ owner: `w${i}`, now: at(0), leaseMs: 60_000, limit: 7 })));
        const ids = results.flat().map((j) => j.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids.length).toBe(30);
      });

      it('a live lease is not claimable; an expired one is', async () => {
        await queued();
        expect(await store.claimDue({ owner: 'w1', now: at(0), leaseMs: 1000, limit: 5 })).toHaveLength(1);
        expect(await store.claimDue({ owner: 'w2', now: at(999), leaseMs: 1000, limit: 5 })).toHaveLength(0);
        const again = await store.claimDue({ owner: 'w2', now: at(1000), leaseMs: 1000, limit: 5 });
        expect(again).toHaveLength(1);
        expect(again[0]!.leaseOwner).toBe('w2');
      });

      it('renewLease bumps the version and fences the old holder', async () => {
        await queued();
        const [c] = await store.claimDue({ owner: 'w1', now: at(0), leaseMs: 1000, limit: 1 });
        const renewed = await store.renewLease({ id: c!.id, owner: 'w1', version: c!.version }, at(500), 1000);
        expect(renewed.version).toBe(c!.version + 1);
        expect(renewed.leaseExpiresAt).toBe(at(1500).toISOString());
        // The holder's stale version can no longer write or renew.
        expect(await codeOf(store.update({ ...c!, costUsd: 5 }, eventFor(c!)))).toBe('CONFLICT');
        expect(await codeOf(store.renewLease({ id: c!.id, owner: 'w1', version: c!.version }, at(600), 1000))).toBe('CONFLICT');
        // After expiry another worker takes over and the first one is fenced.
        const [taken] = await store.claimDue({ owner: 'w2', now: at(1500), leaseMs: 1000, limit: 1 });
        expect(taken!.leaseOwner).toBe('w2');
        expect(await codeOf(store.renewLease({ id: c!.id, owner: 'w1', version: renewed.version }, at(1600), 1000))).toBe('CONFLICT');
        expect(await codeOf(store.update({ ...renewed, costUsd: 5 }, eventFor(renewed)))).toBe('CONFLICT');
      });

      it('releaseLease clears a held lease only for its holder', async () => {
        await queued();
        const [c] = await store.claimDue({ owner: 'w1', now: at(0), leaseMs: 60_000, limit: 1 });
        expect(await store.releaseLease({ id: c!.id, owner: 'w2', version: c!.version })).toBe(false);
        expect(await store.releaseLease({ id: c!.id, owner: 'w1', version: c!.version })).toBe(true);
        const after = await store.get(c!.id);
        expect(after).toMatchObject({ leaseOwner: null, leaseExpiresAt: null, version: c!.version + 1 });
        expect(await store.claimDue({ owner: 'w3', now: at(1), leaseMs: 1000, limit: 1 })).toHaveLength(1);
      });
    });

    describe('stats and spend', () => {
      it('counts by status, sums cost, spend today from events, duration and failure rate', async () => {
        const done = await insert({
          status: 'DONE',
          driver: 'worker',
          costUsd: 0.5,
          createdAt: at(-86_400_000).toISOString(),
          completedAt: at(-86_400_000 + 60_000).toISOString(),
        });
        await insert({ status: 'FAILED', failedStatus: 'SEGMENTING', driver: 'worker', completedAt: at(0).toISOString() });
        const q = await queued({ createdAt: at(-5000).toISOString() });
        await store.update({ ...q, costUsd: 0.25 }, eventFor(q, 'QUEUED', { costUsd: 0.25, at: at(1000).toISOString() }));
        const yesterday = done.job;
        await store.update({ ...yesterday, costUsd: 0.75 }, eventFor(yesterday, 'DONE', { costUsd: 0.25, at: at(-86_400_000).toISOString() }));
        const s = await store.stats(at(3_600_000));
        expect(s.total).toBe(3);
        expect(s.byStatus).toMatchObject({ DONE: 1, FAILED: 1, QUEUED: 1, NEW: 0 });
        expect(s.costUsdTotal).toBeCloseTo(1.0, 6);
        expect(s.costUsdToday).toBeCloseTo(0.25, 6);
        expect(s.avgDurationMs).toBe(60_000);
        expect(s.failureRate).toBeCloseTo(0.5, 6);
        expect(s.oldestQueuedAt).toBe(at(-5000).toISOString());
        expect(await store.spendSince(new Date(Date.UTC(2026, 2, 1)))).toBeCloseTo(0.25, 6);
        expect(await store.spendSince(at(-86_400_001))).toBeCloseTo(0.5, 6);
      });

      it('empty store stats', async () => {
        const s = await store.stats(T0);
        expect(s).toMatchObject({ total: 0, costUsdTotal: 0, costUsdToday: 0, avgDurationMs: null, failureRate: 0, oldestQueuedAt: null });
      });
    });

    describe('deleteFinished', () => {
      it('removes only finished jobs older than the cutoff, keeping identity tombstones', async () => {
        const old = await insert({
          status: 'DONE',
          driver: 'worker',
          completedAt: at(-10 * 86_400_000).toISOString(),
          compositeKeys: ['c/1'],
          storefrontMediaIds: ['m1'],
        });
        const oldFailed = await insert({ status: 'FAILED', failedStatus: 'QUEUED', completedAt: at(-10 * 86_400_000).toISOString() });
        const recent = await insert({ status: 'DONE', driver: 'worker', completedAt: at(-1 * 86_400_000).toISOString() });
        const running = await queued({ createdAt: at(-20 * 86_400_000).toISOString() });
        const removed = await store.deleteFinished({ before: at(-7 * 86_400_000), now: T0 });
        expect(removed.map((j) => j.id).sort()).toEqual([old.job.id, oldFailed.job.id].sort());
        expect(removed.find((j) => j.id === old.job.id)?.compositeKeys).toEqual(['c/1']);
        const live = await store.list({ limit: 50, offset: 0 });
        expect(live.jobs.map((j) => j.id).sort()).toEqual([recent.job.id, running.id].sort());
        expect(await store.listEvents(old.job.id)).toEqual([]);
        // The identity survives: a re-delivery is a duplicate, not a new (paid) job.
        const again = await store.insertOrGet(makeJob({ sku: old.job.sku, sha256: old.job.sha256, theme: old.job.theme }, T0), creationEvent(old.job));
        expect(again.created).toBe(false);
        expect(again.job.id).toBe(old.job.id);
        // The tombstone's timestamp is the caller's clock (a fake one here), not the store's wall clock.
        expect(again.job.purgedAt).toBe(T0.toISOString());
        expect((await store.stats(T0)).total).toBe(2);
        // A second cleanup does not report the tombstones again.
        expect(await store.deleteFinished({ before: at(-7 * 86_400_000), now: T0 })).toEqual([]);
      });

      it('forgets identities when asked', async () => {
        const old = await insert({ status: 'DONE', driver: 'worker', completedAt: at(-10 * 86_400_000).toISOString() });
        const removed = await store.deleteFinished({ before: at(0), forgetIdentities: true, now: T0 });
        expect(removed).toHaveLength(1);
        expect(await store.get(old.job.id)).toBeNull();
        const again = await insert({ sku: old.job.sku, sha256: old.job.sha256, theme: old.job.theme });
        expect(again.created).toBe(true);
        expect(again.job.id).not.toBe(old.job.id);
      });

      it('forgetIdentities also removes earlier tombstones', async () => {
        const old = await insert({ status: 'DONE', driver: 'worker', completedAt: at(-10 * 86_400_000).toISOString() });
        await store.deleteFinished({ before: at(0), now: T0 });
        await store.deleteFinished({ before: at(0), forgetIdentities: true, now: T0 });
        expect(await store.get(old.job.id)).toBeNull();
      });
    });

    describe('misc', () => {
      it('get returns null for an unknown id; listEvents returns [] ; ping resolves', async () => {
        expect(await store.get('does-not-exist')).toBeNull();
        expect(await store.listEvents('does-not-exist')).toEqual([]);
        await store.ping();
      });
    });
  });
}
