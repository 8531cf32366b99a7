/**
 * The pixel budget admits by decoded pixels: a 50 MP photo alone, several small photos together, a photo
 * larger than the whole budget alone (never refused, never starved), first come first served.
 */
import { describe, expect, it } from 'vitest';
import { createPixelBudget, DEFAULT_PIXEL_BUDGET } from '../src/index.js';
import { expectJobkitError } from './fixtures/helpers.js';

const MP = 1_000_000;
/** Lets every settled promise run its callbacks. */
const tick = () => new Promise((r) => setImmediate(r));

function track(p: Promise<() => void>): { granted: () => boolean; release: () => Promise<void> } {
  let release: (() => void) | null = null;
  void p.then((r) => (release = r));
  return {
    granted: () => release !== null,
    release: async () => {
      await p;
      release!();
      await tick();
    },
  };
}

describe('pixel budget', () => {
  it('admits a 50 MP photo alone and several small ones together (default budget)', async () => {
    const budget = createPixelBudget();
    expect(budget.capacity).toBe(DEFAULT_PIXEL_BUDGET);
    const big = track(budget.acquire(50 * MP));
    const cameras = [1, 2, 3].map(() => track(budget.acquire(12 * MP)));
    const smalls = Array.from({ length: 30 }, () => track(budget.acquire(1 * MP)));
    await tick();
    expect(big.granted()).toBe(true);
    expect([...cameras, ...smalls].some((s) => s.granted())).toBe(false); // nothing else while the 50 MP photo runs
    expect(budget.stats()).toMatchObject({ inUse: DEFAULT_PIXEL_BUDGET, running: 1, waiting: 33 });

    await big.release();
    // Two 12 MP camera photos fit together; the third waits for one of them (and the small ones behind it).
    expect(cameras.map((s) => s.granted())).toEqual([true, true, false]);
    expect(budget.stats()).toMatchObject({ inUse: 24 * MP, running: 2 });
    await cameras[0]!.release();
    await cameras[1]!.release();
    // The third camera photo and twelve 1 MP photos share the budget.
    expect(cameras[2]!.granted()).toBe(true);
    expect(smalls.filter((s) => s.granted())).toHaveLength(12);
    await cameras[2]!.release();
    expect(smalls.filter((s) => s.granted())).toHaveLength(24); // 24 small photos run together
    // Releasing them one by one admits the rest.
    for (const s of smalls) await s.release();
    expect(budget.stats()).toMatchObject({ inUse: 0, running: 0, waiting: 0 });
  });

  it('runs a photo larger than the whole budget, alone', async () => {
    const budget = createPixelBudget({ maxPixels: 20 * MP });
    const small = track(budget.acquire(1 * MP));
    const huge = track(budget.acquire(80 * MP));
    const later = track(budget.acquire(1 * MP));
    await tick();
    expect([small.granted(), huge.granted(), later.granted()]).toEqual([true, false, false]);
    await small.release();
    expect([huge.granted(), later.granted()]).toEqual([true, false]); // alone: not even 1 MP beside it
    await huge.release();
    expect(later.granted()).toBe(true);
    await later.release();
  });

  it('serves waiters in order: small requests do not overtake a large one', async () => {
    const budget = createPixelBudget({ maxPixels: 10 * MP });
    const a = track(budget.acquire(6 * MP));
    const big = track(budget.acquire(8 * MP));
    const tiny = track(budget.acquire(1 * MP)); // would fit now, but the 8 MP request came first
    await tick();
    expect([a.granted(), big.granted(), tiny.granted()]).toEqual([true, false, false]);
    await a.release();
    expect([big.granted(), tiny.granted()]).toEqual([true, true]);
    await big.release();
    await tiny.release();
  });

  it('limits tasks as well as pixels when maxTasks is set (one per thread)', async () => {
    const budget = createPixelBudget({ maxPixels: 100 * MP, maxTasks: 2 });
    const t = [1, 2, 3].map(() => track(budget.acquire(1 * MP)));
    await tick();
    expect(t.map((x) => x.granted())).toEqual([true, true, false]);
    await t[0]!.release();
    expect(t[2]!.granted()).toBe(true);
  });

  it('an aborted waiter leaves the queue (CANCELLED) and unblocks the ones behind it', async () => {
    const budget = createPixelBudget({ maxPixels: 10 * MP });
    const a = track(budget.acquire(5 * MP));
    const ac = new AbortController();
    const blocked = budget.acquire(9 * MP, ac.signal);
    const small = track(budget.acquire(2 * MP));
    await tick();
    expect(small.granted()).toBe(false);
    ac.abort();
    await expectJobkitError(blocked, 'CANCELLED', true, /pixel budget/);
    await tick();
    expect(small.granted()).toBe(true);
    expect(budget.stats()).toMatchObject({ inUse: 7 * MP, waiting: 0 });
    await a.release();
    await small.release();
  });

  it('release is idempotent and use() releases when the work throws', async () => {
    const budget = createPixelBudget({ maxPixels: 10 * MP });
    const release = await budget.acquire(4 * MP);
    release();
    release();
    expect(budget.stats().inUse).toBe(0);
    await expect(
      budget.use(3 * MP, undefined, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(budget.stats()).toMatchObject({ inUse: 0, running: 0 });
    expect(() => createPixelBudget({ maxPixels: 0 })).toThrow(/maxPixels/);
  });
});
