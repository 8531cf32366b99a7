import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalObjectStore, createLocalStorefront, JobkitError, systemClock, silentLogger } from 'jobkit';
import { createFakeClock, runObjectStoreConformance } from 'jobkit/testing';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'jobkit-local-'));
  dirs.push(d);
  return d;
};

runObjectStoreConformance({
  name: 'local directory',
  create: () => createLocalObjectStore({ dir: tmp(), signingSecret: 'x'.repeat(32) }),
  destroy: (s) => rmSync((s as ReturnType<typeof createLocalObjectStore>).dir, { recursive: true, force: true }),
});

describe('local object store', () => {
  it('writes atomically (no temp files left) and keeps files inside the root', async () => {
    const store = createLocalObjectStore({ dir: tmp() });
    await store.put('masks/SKU/a.png', Buffer.from('png'));
    expect(readFileSync(path.join(store.dir, 'masks/SKU/a.png'), 'utf8')).toBe('png');
    expect(readdirSync(path.join(store.dir, '.tmp'))).toEqual([]);
    expect(() => store.pathOf('../outside.txt')).toThrow(JobkitError);
  });

  it('presigns URLs that verify until they expire, for their method only', async () => {
    const clock = createFakeClock('2026-01-01T00:00:00Z');
    const store = createLocalObjectStore({ dir: tmp(), baseUrl: 'http://127.0.0.1:4000/api', signingSecret: 's'.repeat(32), clock });
    const p = await store.presign('originals/S/x.jpg', { method: 'PUT', expiresInSec: 60, contentType: 'image/jpeg' });
    expect(p.url.startsWith('http://127.0.0.1:4000/api/files/originals/S/x.jpg?')).toBe(true);
    const u = new URL(p.url);
    const q = Object.fromEntries(u.searchParams);
    expect(store.verifyRequest({ method: 'PUT', key: 'originals/S/x.jpg', query: q })).toBe('originals/S/x.jpg');
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
        return 'ok';
      } catch (e) {
        return (e as JobkitError).code;
      }
    };
    expect(codeOf(() => store.verifyRequest({ method: 'GET', key: 'originals/S/x.jpg', query: q }))).toBe('UNAUTHORIZED');
    expect(codeOf(() => store.verifyRequest({ method: 'PUT', key: 'originals/S/y.jpg', query: q }))).toBe('UNAUTHORIZED');
    expect(codeOf(() => store.verifyRequest({ method: 'PUT', key: 'originals/S/x.jpg', query: { ...q, signature: '0'.repeat(64) } }))).toBe('UNAUTHORIZED');
    expect(codeOf(() => store.verifyRequest({ method: 'PUT', key: '../x', query: q }))).toBe('INVALID_INPUT');
    clock.advance(61_000);
    expect(codeOf(() => store.verifyRequest({ method: 'PUT', key: 'originals/S/x.jpg', query: q }))).toBe('UNAUTHORIZED');
  });
});

describe('local storefront', () => {
  const ctx = {
    jobId: 'j1',
    sku: 'SKU-1',
    theme: 'default',
    signal: new AbortController().signal,
    logger: silentLogger,
    clock: systemClock,
    previousRef: null,
    recordRef: async () => {},
  };
  const image = (aspect: string, variant: number, jobId = 'j1') => ({
    key: `composites/default/SKU-1/x_${aspect}_${variant}_master.jpg`,
    aspect,
    variant,
    marker: `jobkit:${jobId}:${aspect}:${variant}`,
    source: { key: 'k', contentType: 'image/jpeg', bytes: async () => Buffer.from(`${aspect}-${variant}`), publicUrl: async () => null },
  });

  it('pushes into {dir}/{sku}/ with a manifest and stable ids; a second push creates nothing new', async () => {
    const sf = createLocalStorefront({ dir: tmp() });
    const req = { jobId: 'j1', sku: 'SKU-1', theme: 'default', images: [image('1x1', 1), image('4x5', 1)] };
    const a = await sf.push(req, ctx);
    const b = await sf.push(req, ctx);
    expect(a.mediaIds).toEqual(['local:SKU-1/default_1x1_1_j1.jpg', 'local:SKU-1/default_4x5_1_j1.jpg']);
    expect(b.mediaIds).toEqual(a.mediaIds);
    expect(await sf.list('SKU-1')).toHaveLength(2);
    expect(readdirSync(path.join(sf.dir, 'SKU-1')).sort()).toEqual(['default_1x1_1_j1.jpg', 'default_4x5_1_j1.jpg', 'manifest.json']);
  });

  it('stays one item per marker under concurrent pushes', async () => {
    const sf = createLocalStorefront({ dir: tmp() });
    const req = { jobId: 'j2', sku: 'SKU-1', theme: 'studio', images: [image('1x1', 1, 'j2')] };
    const results = await Promise.all(Array.from({ length: 10 }, () => sf.push(req, ctx)));
    expect(new Set(results.map((r) => r.mediaIds[0])).size).toBe(1);
    expect(await sf.list('SKU-1')).toHaveLength(1);
  });

  it('rejects an unsafe SKU', async () => {
    const sf = createLocalStorefront({ dir: tmp() });
    await expect(sf.push({ jobId: 'j', sku: '../x', theme: 'default', images: [] }, ctx)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
