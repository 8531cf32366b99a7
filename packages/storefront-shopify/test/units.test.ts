import { storefrontMarker } from 'jobkit';
import { describe, expect, it } from 'vitest';
import { altHasMarker, buildAltText, createMemoryProductIdCache, renderAltTemplate, skuSearchQuery, throttleWaitMs } from '../src/index.js';
import { CostBucket } from '../src/cost-bucket.js';

describe('alt text', () => {
  const marker = storefrontMarker('V1StGXR8_Z5jdHi6B-myT', '16x9', 2);

  it('renders the template placeholders', () => {
    expect(
      renderAltTemplate('{title} — {theme} ({sku} {aspect}/{variant}) {other}', { title: 'Mug', theme: 'summer', sku: 'M-1', aspect: '1x1', variant: 2 }),
    ).toBe('Mug — summer (M-1 1x1/2) {other}');
  });

  it('appends the marker and keeps short text whole', () => {
    expect(buildAltText('Blue  mug\n— summer', marker)).toBe(`Blue mug — summer [${marker}]`);
    expect(buildAltText('', marker)).toBe(`[${marker}]`);
  });

  it('cuts the human part, never the marker, to 512 characters', () => {
    for (const len of [400, 470, 471, 472, 511, 512, 513, 5000]) {
      const alt = buildAltText('x'.repeat(len), marker);
      expect(alt.length).toBeLessThanOrEqual(512);
      expect(alt.endsWith(` [${marker}]`)).toBe(true);
      expect(altHasMarker(alt, marker)).toBe(true);
    }
  });

  it('does not split a surrogate pair when cutting', () => {
    const alt = buildAltText('😀'.repeat(400), marker);
    expect(alt.length).toBeLessThanOrEqual(512);
    expect(alt).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('matches markers exactly (variant 1 is not variant 10)', () => {
    const m1 = storefrontMarker('job', '1x1', 1);
    const m10 = storefrontMarker('job', '1x1', 10);
    expect(altHasMarker(buildAltText('x', m10), m1)).toBe(false);
    expect(altHasMarker(null, m1)).toBe(false);
  });
});

describe('skuSearchQuery', () => {
  it('quotes the SKU and escapes quotes and backslashes', () => {
    expect(skuSearchQuery('MUG-01.v2')).toBe('sku:"MUG-01.v2"');
    expect(skuSearchQuery('a"b\\c d:e')).toBe('sku:"a\\"b\\\\c d:e"');
  });
});

describe('cost bucket', () => {
  it('computes the wait from the restore rate', () => {
    expect(throttleWaitMs(752, { maximumAvailable: 1000, currentlyAvailable: 666, restoreRate: 50 })).toBe(1720);
    expect(throttleWaitMs(10, { maximumAvailable: 1000, currentlyAvailable: 10, restoreRate: 50 })).toBe(0);
  });

  it('refills between reports and paces known operations', () => {
    let now = 0;
    const bucket = new CostBucket(() => now);
    expect(bucket.waitBefore('op')).toBe(0);
    bucket.observe('op', { requestedQueryCost: 100, throttleStatus: { maximumAvailable: 1000, currentlyAvailable: 20, restoreRate: 100 } });
    expect(bucket.waitBefore('op')).toBe(800);
    now = 500;
    expect(bucket.waitBefore('op')).toBe(300);
    now = 100_000;
    expect(bucket.current()?.currentlyAvailable).toBe(1000);
  });
});

describe('memory product id cache', () => {
  it('evicts the least recently used SKU past its bound', async () => {
    const cache = createMemoryProductIdCache(2);
    await cache.set('a', '1');
    await cache.set('b', '2');
    expect(await cache.get('a')).toBe('1'); // a is now the most recent
    await cache.set('c', '3');
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('a')).toBe('1');
    expect(await cache.get('c')).toBe('3');
  });
});
