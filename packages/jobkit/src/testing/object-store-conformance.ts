/**
 * Conformance suite for ObjectStore implementations. Call it inside a vitest test file:
 *   runObjectStoreConformance({ name: 'my store', create: async () => store });
 */
import { createHash } from 'node:crypto';
import * as vitest from 'vitest';
import { codeOf } from './rejection.js';
import type { ObjectStore, PresignedUrl } from 'jobkit';

export interface ObjectStoreConformanceOptions {
  name: string;
  create: () => Promise<ObjectStore> | ObjectStore;
  destroy?: (store: ObjectStore) => Promise<void> | void;
  /**
   * Performs an upload through a presigned PUT the way a client would (url, method, headers, body) and says
   * whether the store accepted it. When given, the suite checks that bound uploads refuse other bytes.
   */
  upload?: (presigned: PresignedUrl, body: Buffer) => Promise<boolean>;
  /** Pass your own vitest (defaults to the peer dependency). */
  vitest?: Pick<typeof vitest, 'describe' | 'it' | 'expect' | 'beforeEach' | 'afterEach'>;
}

export function runObjectStoreConformance(opts: ObjectStoreConformanceOptions): void {
  const { describe, it, expect, beforeEach, afterEach } = opts.vitest ?? vitest;
  describe(`ObjectStore conformance: ${opts.name}`, () => {
    let store: ObjectStore;
    beforeEach(async () => {
      store = await opts.create();
    });
    afterEach(async () => {
      await opts.destroy?.(store);
    });

    it('round-trips bytes exactly, with content type', async () => {
      const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256));
      await store.put('originals/SKU-1/a.jpg', bytes, { contentType: 'image/jpeg' });
      expect(Buffer.compare(await store.get('originals/SKU-1/a.jpg'), bytes)).toBe(0);
      const head = await store.head('originals/SKU-1/a.jpg');
      expect(head).toMatchObject({ key: 'originals/SKU-1/a.jpg', size: bytes.length, contentType: 'image/jpeg' });
      expect(await store.exists('originals/SKU-1/a.jpg')).toBe(true);
    });

    it('streams the bytes', async () => {
      const bytes = Buffer.from('hello stream');
      await store.put('masks/S/x.png', bytes, { contentType: 'image/png' });
      const chunks: Buffer[] = [];
      for await (const c of await store.getStream('masks/S/x.png')) chunks.push(Buffer.from(c as Uint8Array));
      expect(Buffer.concat(chunks).toString()).toBe('hello stream');
    });

    it('overwrites an existing key', async () => {
      await store.put('k/one.bin', Buffer.from('first'));
      await store.put('k/one.bin', Buffer.from('second!'));
      expect((await store.get('k/one.bin')).toString()).toBe('second!');
      expect((await store.head('k/one.bin'))?.size).toBe(7);
    });

    it('reports missing objects: get → NOT_FOUND, head → null, exists → false', async () => {
      expect(await codeOf(store.get('nope/missing.jpg'))).toBe('NOT_FOUND');
      expect(await codeOf(store.getStream('nope/missing.jpg'))).toBe('NOT_FOUND');
      expect(await store.head('nope/missing.jpg')).toBeNull();
      expect(await store.exists('nope/missing.jpg')).toBe(false);
    });

    it('deletes idempotently', async () => {
      await store.put('d/x.txt', Buffer.from('x'));
      await store.delete('d/x.txt');
      expect(await store.exists('d/x.txt')).toBe(false);
      await store.delete('d/x.txt');
    });

    it('rejects unsafe keys with INVALID_INPUT and writes nothing', async () => {
      for (const key of ['../etc/passwd', '/abs/path', 'a/../../b', 'a//b', '', 'a/./b', 'a\\b', 'a/b\u0000c']) {
        expect(await codeOf(store.put(key, Buffer.from('x')))).toBe('INVALID_INPUT');
        expect(await codeOf(store.get(key))).toBe('INVALID_INPUT');
        expect(await codeOf(store.delete(key))).toBe('INVALID_INPUT');
        expect(await codeOf(store.presign(key, { method: 'GET', expiresInSec: 60 }))).toBe('INVALID_INPUT');
      }
    });

    it('presigns GET and PUT with an expiry, validating the expiry range', async () => {
      await store.put('p/x.jpg', Buffer.from('x'), { contentType: 'image/jpeg' });
      const get = await store.presign('p/x.jpg', { method: 'GET', expiresInSec: 60 });
      expect(get.method).toBe('GET');
      expect(typeof get.url).toBe('string');
      const expiresIn = Date.parse(get.expiresAt) - Date.now();
      expect(expiresIn).toBeGreaterThan(0);
      expect(expiresIn).toBeLessThanOrEqual(61_000);
      const put = await store.presign('p/y.jpg', { method: 'PUT', expiresInSec: 3600, contentType: 'image/jpeg' });
      expect(put.method).toBe('PUT');
      expect(put.url).not.toBe(get.url);
      expect(await codeOf(store.presign('p/x.jpg', { method: 'GET', expiresInSec: 0 }))).toBe('INVALID_INPUT');
      expect(await codeOf(store.presign('p/x.jpg', { method: 'GET', expiresInSec: 7 * 24 * 3600 + 1 }))).toBe('INVALID_INPUT');
      expect(await codeOf(store.presign('p/x.jpg', { method: 'DELETE' as 'GET', expiresInSec: 60 }))).toBe('INVALID_INPUT');
    });

    it('validates the sha256 binding of a presigned PUT', async () => {
      const sha = 'a'.repeat(64);
      const original = `originals/SKU-1/${sha}.jpg`;
      expect((await store.presign('p/z.jpg', { method: 'PUT', expiresInSec: 60, sha256: sha })).method).toBe('PUT');
      expect((await store.presign(original, { method: 'PUT', expiresInSec: 60, sha256: sha })).method).toBe('PUT');
      // An original's key names its sha256: binding it to another one is a contradiction.
      expect(await codeOf(store.presign(original, { method: 'PUT', expiresInSec: 60, sha256: 'b'.repeat(64) }))).toBe('INVALID_INPUT');
      expect(await codeOf(store.presign('p/z.jpg', { method: 'GET', expiresInSec: 60, sha256: sha }))).toBe('INVALID_INPUT');
      for (const bad of ['A'.repeat(64), 'a'.repeat(63), 'zz', '']) {
        expect(await codeOf(store.presign('p/z.jpg', { method: 'PUT', expiresInSec: 60, sha256: bad }))).toBe('INVALID_INPUT');
      }
    });

    if (opts.upload) {
      const upload = opts.upload;
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

      it('a presigned PUT to an original key accepts only bytes that hash to the key, and never overwrites with others', async () => {
        const photo = Buffer.from('the real photo bytes');
        const key = `originals/SKU-1/${sha(photo)}.jpg`;
        const put = await store.presign(key, { method: 'PUT', expiresInSec: 300, contentType: 'image/jpeg' });
        expect(await upload(put, photo)).toBe(true);
        expect((await store.get(key)).equals(photo)).toBe(true);
        // The same URL (still valid) with other bytes: refused, and the stored photo is untouched.
        expect(await upload(put, Buffer.from('something else entirely'))).toBe(false);
        expect((await store.get(key)).equals(photo)).toBe(true);
        const fresh = await store.presign(`originals/SKU-2/${sha(Buffer.from('x'))}.png`, { method: 'PUT', expiresInSec: 300 });
        expect(await upload(fresh, Buffer.from('y'))).toBe(false);
        expect(await store.exists(`originals/SKU-2/${sha(Buffer.from('x'))}.png`)).toBe(false);
      });

      it('a PUT presigned with sha256 accepts only those bytes; an unbound PUT accepts any', async () => {
        const bytes = Buffer.from('bound bytes');
        const bound = await store.presign('p/bound.bin', { method: 'PUT', expiresInSec: 300, sha256: sha(bytes) });
        expect(await upload(bound, Buffer.from('other bytes'))).toBe(false);
        expect(await store.exists('p/bound.bin')).toBe(false);
        expect(await upload(bound, bytes)).toBe(true);
        expect((await store.get('p/bound.bin')).equals(bytes)).toBe(true);
        const free = await store.presign('p/free.bin', { method: 'PUT', expiresInSec: 300 });
        expect(await upload(free, Buffer.from('anything'))).toBe(true);
      });
    }

    it('keeps keys independent (prefix of another key)', async () => {
      await store.put('a/b.jpg', Buffer.from('1'));
      await store.put('a/b.jpg.bak', Buffer.from('22'));
      expect((await store.get('a/b.jpg')).toString()).toBe('1');
      expect((await store.get('a/b.jpg.bak')).toString()).toBe('22');
    });
  });
}
