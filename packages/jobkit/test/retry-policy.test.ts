import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JobkitError, canRetry, getRetryDelay } from 'jobkit';

describe('retry policy', () => {
  it('doubles from 2 s without jitter, up to the cap', () => {
    expect([1, 2, 3, 4].map((a) => getRetryDelay(a, { jitter: 'none' }))).toEqual([2000, 4000, 8000, 16000]);
    expect(getRetryDelay(30, { jitter: 'none', maxMs: 60_000 })).toBe(60_000);
  });

  it('jitter stays within [d/2, d] and is driven by the injected random source', () => {
    expect(getRetryDelay(3, { random: () => 0 })).toBe(4000);
    expect(getRetryDelay(3, { random: () => 0.999999 })).toBe(8000);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
        const full = getRetryDelay(attempt, { jitter: 'none' });
        const d = getRetryDelay(attempt, { random: () => r });
        return d >= full / 2 && d <= full;
      }),
    );
  });

  it('a larger Retry-After wins; a smaller one does not', () => {
    expect(getRetryDelay(1, { jitter: 'none', retryAfterMs: 30_000 })).toBe(30_000);
    expect(getRetryDelay(3, { jitter: 'none', retryAfterMs: 1_000 })).toBe(8_000);
  });

  it('validates its input', () => {
    expect(() => getRetryDelay(0)).toThrow(JobkitError);
    expect(() => getRetryDelay(1.5)).toThrow(/attempt/);
    expect(() => canRetry({ attempts: 0, maxAttempts: 5 }, 0)).toThrow(/maxAttempts/);
  });

  it('canRetry compares attempts with the limit', () => {
    expect(canRetry({ attempts: 4, maxAttempts: 5 })).toBe(true);
    expect(canRetry({ attempts: 5, maxAttempts: 5 })).toBe(false);
    expect(canRetry({ attempts: 2, maxAttempts: 5 }, 2)).toBe(false);
  });
});

describe('JobkitError', () => {
  it('has stable codes, classification and a cross-bundle is()', () => {
    const e = new JobkitError('RATE_LIMITED', 'slow down', { retryAfterMs: 1234.4 });
    expect(e.retryable).toBe(true);
    expect(e.retryAfterMs).toBe(1234);
    expect(JobkitError.is(e)).toBe(true);
    expect(JobkitError.is(e, 'NOT_FOUND')).toBe(false);
    // A structurally branded object from another copy of the package is recognised.
    const foreign = Object.assign(new Error('x'), { code: 'NOT_FOUND', [Symbol.for('jobkit.error')]: true });
    expect(JobkitError.is(foreign, 'NOT_FOUND')).toBe(true);
    expect(JobkitError.is(new Error('plain'))).toBe(false);
    expect(new JobkitError('INVALID_INPUT', 'x').retryable).toBe(false);
    expect(new JobkitError('SEGMENT_FAILED', 'x', { retryable: false }).retryable).toBe(false);
    expect(JSON.parse(JSON.stringify(e))).toEqual({ code: 'RATE_LIMITED', message: 'slow down', retryable: true, retryAfterMs: 1234 });
  });
});
