import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLimiter, JobkitError } from 'jobkit';

afterEach(() => vi.useRealTimers());

describe('createLimiter', () => {
  it('never starts more than perMinute calls in any sliding 60 s window, and keeps that pace', async () => {
    vi.useFakeTimers({ now: 0 });
    const limiter = createLimiter({ perMinute: 120 });
    const starts: number[] = [];
    const calls = Array.from({ length: 400 }, () => limiter.run(async () => void starts.push(Date.now())));
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    await Promise.all(calls);
    expect(starts).toHaveLength(400);
    for (let i = 0; i < starts.length; i++) {
      const inWindow = starts.filter((t) => t >= starts[i]! && t < starts[i]! + 60_000).length;
      expect(inWindow).toBeLessThanOrEqual(120);
    }
    // … and keeps the configured pace: a burst of 2, then 119 per minute.
    const last = starts[starts.length - 1]!;
    expect(last).toBeGreaterThanOrEqual(((400 - 2) / 119) * 60_000 - 1_000);
    expect(last).toBeLessThanOrEqual(((400 - 2) / 119) * 60_000 + 1_000);
  });

  it('limits concurrency', async () => {
    const limiter = createLimiter({ concurrency: 2 });
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        limiter.run(async () => {
          peak = Math.max(peak, ++active);
          await new Promise((r) => setTimeout(r, 5));
          active--;
        }),
      ),
    );
    expect(peak).toBe(2);
  });

  it('a waiting caller that aborts leaves the queue at once and uses no rate slot', async () => {
    vi.useFakeTimers({ now: 0 });
    const limiter = createLimiter({ perMinute: 60 }); // a burst of 1, then one start per second
    const starts: string[] = [];
    await limiter.run(async () => void starts.push('first'));
    const controller = new AbortController();
    const gaveUp = limiter.run(async () => void starts.push('aborted'), controller.signal);
    const next = limiter.run(async () => void starts.push('next'));
    expect(limiter.waiting).toBe(2);
    controller.abort(new JobkitError('CANCELLED', 'stopping'));
    await expect(gaveUp).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(limiter.waiting).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    await next;
    // The aborted call neither ran nor delayed the next one by a slot.
    expect(starts).toEqual(['first', 'next']);
    expect(Date.now()).toBeLessThanOrEqual(1_000);
    await expect(limiter.run(async () => 1, AbortSignal.abort())).rejects.toBeInstanceOf(Error);
  });

  it('validates its options', () => {
    expect(() => createLimiter({ perMinute: 0 })).toThrow(JobkitError);
    expect(() => createLimiter({ concurrency: 0 })).toThrow(/concurrency/);
  });
});
