/**
 * Uploads to an original's key must carry the bytes the key names (issue 17.3, upload side). The local and
 * memory stores run the conformance suite with an upload hook that does what the HTTP file route does:
 * verify the signed URL, read the body, `assertUploadChecksum`, store.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  JobkitError,
  assertUploadChecksum,
  createLocalObjectStore,
  createMemoryObjectStore,
  expectedSha256OfKey,
  keys,
  presignSha256,
  type LocalObjectStore,
  type MemoryObjectStore,
  type PresignedUrl,
} from 'jobkit';
import { runObjectStoreConformance } from 'jobkit/testing';

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const refusedAsMismatch = (fn: () => unknown): boolean => {
  try {
    fn();
    return false;
  } catch (e) {
    if (JobkitError.is(e, 'CHECKSUM_MISMATCH')) return true;
    throw e;
  }
};

/** What the HTTP file route does with a local signed PUT URL. */
const localUpload =
  (store: LocalObjectStore) =>
  async (p: PresignedUrl, body: Buffer): Promise<boolean> => {
    const u = new URL(p.url);
    const key = decodeURIComponent(u.pathname.replace(/^.*?\/files\//, ''));
    const query = Object.fromEntries(u.searchParams);
    store.verifyRequest({ method: p.method, key, query });
    if (refusedAsMismatch(() => assertUploadChecksum(key, body, query))) return false;
    await store.put(key, body);
    return true;
  };

const memoryUpload =
  (store: MemoryObjectStore) =>
  async (p: PresignedUrl, body: Buffer): Promise<boolean> => {
    const key = store.verifyPresigned(p.url, 'PUT');
    if (refusedAsMismatch(() => assertUploadChecksum(key, body, Object.fromEntries(new URL(p.url).searchParams)))) return false;
    await store.put(key, body);
    return true;
  };

const dirs: string[] = [];
let local: LocalObjectStore;
runObjectStoreConformance({
  name: 'local directory, uploads through its signed URLs',
  create: () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jobkit-upload-'));
    dirs.push(dir);
    local = createLocalObjectStore({ dir, signingSecret: 'k'.repeat(32) });
    return local;
  },
  destroy: (s) => rmSync((s as LocalObjectStore).dir, { recursive: true, force: true }),
  upload: (p, body) => localUpload(local)(p, body),
});

let memory: MemoryObjectStore;
runObjectStoreConformance({
  name: 'memory, uploads through its signed URLs',
  create: () => (memory = createMemoryObjectStore()),
  upload: (p, body) => memoryUpload(memory)(p, body),
});

describe('expectedSha256OfKey', () => {
  it('names the sha256 of original keys only', () => {
    const s = sha('photo');
    expect(expectedSha256OfKey(keys.original({ sku: 'SKU-1', sha256: s }, 'png'))).toBe(s);
    expect(expectedSha256OfKey(`originals/A.b_c-1/${s}.tiff`)).toBe(s);
    for (const other of [
      keys.mask({ sku: 'SKU-1', sha256: s }),
      `originals/SKU-1/${s}.svg`,
      `originals/SKU-1/${s.slice(1)}.jpg`,
      `originals/SKU-1/x/${s}.jpg`,
      `uploads/SKU-1/${s}.jpg`,
      `prefix/originals/SKU-1/${s}.jpg`,
      `originals/SKU-1/${s.toUpperCase()}.jpg`,
    ]) {
      expect(expectedSha256OfKey(other), other).toBeNull();
    }
  });
});

describe('assertUploadChecksum', () => {
  const photo = Buffer.from('photo');
  const key = `originals/SKU-1/${sha(photo)}.jpg`;

  it('passes the right bytes, refuses others with CHECKSUM_MISMATCH naming both hashes', () => {
    assertUploadChecksum(key, photo);
    try {
      assertUploadChecksum(key, Buffer.from('evil'));
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'CHECKSUM_MISMATCH', retryable: false, details: { key, expected: sha(photo), actual: sha('evil') } });
    }
  });

  it('binds other keys only through a signed sha256; ignores a malformed one (the signature check refuses it first)', () => {
    assertUploadChecksum('masks/SKU-1/x.png', Buffer.from('anything'));
    assertUploadChecksum('masks/SKU-1/x.png', Buffer.from('anything'), { sha256: sha('anything') });
    expect(refusedAsMismatch(() => assertUploadChecksum('masks/SKU-1/x.png', Buffer.from('anything'), { sha256: sha('else') }))).toBe(true);
    // Both bindings must hold.
    expect(refusedAsMismatch(() => assertUploadChecksum(key, photo, { sha256: sha('else') }))).toBe(true);
  });
});

describe('local signed URLs carry the binding', () => {
  it('a PUT for an original key is signed with its sha256; removing or changing it breaks the signature', () => {
    const store = createLocalObjectStore({ dir: mkdtempSync(path.join(tmpdir(), 'jobkit-upload-')), signingSecret: 'k'.repeat(32) });
    dirs.push(store.dir);
    const s = sha('photo');
    const key = `originals/SKU-1/${s}.jpg`;
    return store.presign(key, { method: 'PUT', expiresInSec: 60 }).then((p) => {
      const q = Object.fromEntries(new URL(p.url).searchParams);
      expect(q['sha256']).toBe(s);
      expect(store.verifyRequest({ method: 'PUT', key, query: q })).toBe(key);
      const { sha256: _dropped, ...unbound } = q;
      for (const query of [unbound, { ...q, sha256: sha('evil') }, { ...q, sha256: 'nothex' }]) {
        expect(() => store.verifyRequest({ method: 'PUT', key, query })).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED' }));
      }
    });
  });

  it('presignSha256: explicit, implied by an original key, or none; GET never binds', () => {
    const s = sha('photo');
    expect(presignSha256(`originals/S/${s}.jpg`, { method: 'PUT', expiresInSec: 60 })).toBe(s);
    expect(presignSha256(`originals/S/${s}.jpg`, { method: 'GET', expiresInSec: 60 })).toBeNull();
    expect(presignSha256('masks/S/x.png', { method: 'PUT', expiresInSec: 60 })).toBeNull();
    expect(presignSha256('masks/S/x.png', { method: 'PUT', expiresInSec: 60, sha256: s })).toBe(s);
  });
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
