import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  JOB_STATUSES,
  JobkitError,
  allowedTransitions,
  describeStatus,
  estimateRemainingMs,
  isTerminal,
  isValidTransition,
  transitionJob,
  validateJobForStatus,
  type JobStatus,
} from 'jobkit';
import { makeJob } from 'jobkit/testing';

const status = fc.constantFrom(...JOB_STATUSES);

describe('state machine', () => {
  it('allows exactly the forward path, the review detour and failing from non-terminal statuses', () => {
    const path: JobStatus[] = ['NEW', 'QUEUED', 'SEGMENTING', 'BG_GENERATING', 'COMPOSITING', 'SHOPIFY_PUSH', 'DONE'];
    // COMPOSITING → REVIEW (held), REVIEW → SHOPIFY_PUSH (approved), REVIEW → SEGMENTING (rejected, re-segment hosted).
    const review = new Set(['COMPOSITING→REVIEW', 'REVIEW→SHOPIFY_PUSH', 'REVIEW→SEGMENTING']);
    for (const from of JOB_STATUSES) {
      for (const to of JOB_STATUSES) {
        const forward = path.includes(from) && path.indexOf(to) === path.indexOf(from) + 1;
        const expected = !isTerminal(from) && (to === 'FAILED' || forward || review.has(`${from}→${to}`));
        expect(isValidTransition(from, to), `${from} → ${to}`).toBe(expected);
      }
    }
    expect(allowedTransitions('SEGMENTING')).toEqual(['BG_GENERATING', 'FAILED']);
    expect(allowedTransitions('COMPOSITING')).toEqual(['SHOPIFY_PUSH', 'REVIEW', 'FAILED']);
    expect(allowedTransitions('REVIEW')).toEqual(['SHOPIFY_PUSH', 'SEGMENTING', 'FAILED']);
    expect(allowedTransitions('DONE')).toEqual([]);
    expect(isTerminal('REVIEW')).toBe(false);
  });

  it('entering REVIEW needs composites and drops the lease (a person decides, no worker holds it)', () => {
    const composited = makeJob({
      status: 'COMPOSITING',
      driver: 'worker',
      maskKey: 'm',
      backgroundKeys: ['b'],
      leaseOwner: 'w1',
      leaseExpiresAt: '2026-01-01T00:01:00.000Z',
    });
    expect(() => transitionJob(composited, 'REVIEW')).toThrow(/compositeKeys/);
    const held = transitionJob(composited, 'REVIEW', { compositeKeys: ['c'] });
    expect(held).toMatchObject({ status: 'REVIEW', leaseOwner: null, leaseExpiresAt: null, completedAt: null });
    expect(describeStatus('REVIEW')).toMatch(/approve or reject/);
  });

  it('property: DONE and FAILED are terminal for every target', () => {
    fc.assert(fc.property(status, (to) => !isValidTransition('FAILED', to) && !isValidTransition('DONE', to)));
  });

  it('property: unknown statuses are never valid', () => {
    fc.assert(
      fc.property(fc.string(), status, (junk, s) => {
        fc.pre(!(JOB_STATUSES as readonly string[]).includes(junk));
        return !isValidTransition(junk as JobStatus, s) && !isValidTransition(s, junk as JobStatus);
      }),
    );
  });

  it('requires the fields of each status', () => {
    const job = makeJob({ status: 'SEGMENTING', driver: 'worker', originalKey: 'originals/S/a.jpg' });
    expect(() => transitionJob(job, 'BG_GENERATING')).toThrowError(/maskKey/);
    const bg = transitionJob(job, 'BG_GENERATING', { maskKey: 'masks/S/a.png' });
    expect(bg.status).toBe('BG_GENERATING');
    expect(() => transitionJob(bg, 'COMPOSITING')).toThrowError(/backgroundKeys/);
    const comp = transitionJob(bg, 'COMPOSITING', { backgroundKeys: ['b/1.jpg'] });
    expect(() => transitionJob(comp, 'SHOPIFY_PUSH')).toThrowError(/compositeKeys/);
    const push = transitionJob(comp, 'SHOPIFY_PUSH', { compositeKeys: ['c/1.jpg', 'c/2.jpg'] });
    // SHOPIFY_PUSH does not require media ids (they only exist after the push) …
    expect(push.storefrontMediaIds).toEqual([]);
    // … DONE requires one per composite master.
    expect(() => transitionJob(push, 'DONE', { storefrontMediaIds: ['m1'] })).toThrowError(/storefrontMediaIds/);
    const done = transitionJob(push, 'DONE', { storefrontMediaIds: ['m1', 'm2'] });
    expect(done.completedAt).not.toBeNull();
    expect(() => validateJobForStatus({ ...done, compositeKeys: [] }, 'DONE')).toThrow(JobkitError);
  });

  it('is pure: the input job is not modified', () => {
    const job = makeJob({ status: 'NEW' });
    const copy = structuredClone(job);
    const next = transitionJob(job, 'QUEUED', { driver: 'worker' });
    expect(job).toEqual(copy);
    expect(next.status).toBe('QUEUED');
    expect(next.startedAt).not.toBeNull();
  });

  it('throws INVALID_TRANSITION with the allowed targets', () => {
    try {
      transitionJob(makeJob({ status: 'NEW' }), 'DONE');
      expect.unreachable();
    } catch (e) {
      expect(JobkitError.is(e, 'INVALID_TRANSITION')).toBe(true);
      expect((e as JobkitError).details).toMatchObject({ from: 'NEW', to: 'DONE', allowed: ['QUEUED', 'FAILED'] });
    }
  });

  it('FAILED records the failed status and clears the lease', () => {
    const job = makeJob({ status: 'COMPOSITING', leaseOwner: 'w', leaseExpiresAt: new Date().toISOString(), attempts: 2 });
    const failed = transitionJob(job, 'FAILED', { errorCode: 'COMPOSITE_FAILED' });
    expect(failed).toMatchObject({ status: 'FAILED', failedStatus: 'COMPOSITING', leaseOwner: null, leaseExpiresAt: null, attempts: 2 });
  });

  it('describes statuses and estimates remaining time', () => {
    for (const s of JOB_STATUSES) expect(describeStatus(s).length).toBeGreaterThan(5);
    expect(estimateRemainingMs('DONE')).toBe(0);
    expect(estimateRemainingMs('NEW')).toBeGreaterThan(estimateRemainingMs('COMPOSITING'));
    expect(estimateRemainingMs('SHOPIFY_PUSH')).toBeGreaterThan(0);
  });
});
