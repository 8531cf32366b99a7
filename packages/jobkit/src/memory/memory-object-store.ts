/**
 * A real ObjectStore in memory. Presigned URLs use the `memory://` scheme with an HMAC signature and
 * expiry, checked by `verifyPresigned` — useful to test presign flows without a server.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { JobkitError, invalidInput } from '../errors.js';
import { assertSafeKey, contentTypeForKey } from '../domain/keys.js';
import type { ObjectInfo, ObjectStore, PresignOptions, PresignedUrl, PutObjectOptions } from '../ports/object-store.js';
import { presignSha256 } from '../local/presign-validation.js';
import type { Clock } from '../ports/clock.js';
import { systemClock } from '../ports/clock.js';

export interface MemoryObjectStore extends ObjectStore {
  /** Keys currently stored (sorted). */
  keys(): string[];
  /** Checks a URL produced by presign(); returns the key or throws UNAUTHORIZED. */
  verifyPresigned(url: string, method: 'GET' | 'PUT'): string;
}

export function createMemoryObjectStore(opts: { clock?: Clock } = {}): MemoryObjectStore {
  const clock = opts.clock ?? systemClock;
  const objects = new Map<string, { bytes: Buffer; contentType: string; lastModified: string }>();
  const secret = randomBytes(32);
  const sign = (method: string, key: string, exp: number, sha256?: string | null): string =>
    createHmac('sha256', secret)
      .update(`${method}\n${key}\n${exp}${sha256 ? `\n${sha256}` : ''}`)
      .digest('hex');

  const need = (key: string) => {
    assertSafeKey(key);
    const o = objects.get(key);
    if (!o) throw new JobkitError('NOT_FOUND', `object ${key} not found`, { details: { key } });
    return o;
  };

  return {
    publicUrls: false,
    async put(key: string, body: Uint8Array, o: PutObjectOptions = {}): Promise<void> {
      assertSafeKey(key);
      if (!(body instanceof Uint8Array)) throw invalidInput('body', 'must be bytes');
      objects.set(key, { bytes: Buffer.from(body), contentType: o.contentType ?? contentTypeForKey(key), lastModified: clock.now().toISOString() });
    },
    async get(key: string): Promise<Buffer> {
      return Buffer.from(need(key).bytes);
    },
    async getStream(key: string): Promise<Readable> {
      return Readable.from([Buffer.from(need(key).bytes)]);
    },
    async head(key: string): Promise<ObjectInfo | null> {
      assertSafeKey(key);
      const o = objects.get(key);
      return o ? { key, size: o.bytes.length, contentType: o.contentType, lastModified: o.lastModified } : null;
    },
    async exists(key: string): Promise<boolean> {
      assertSafeKey(key);
      return objects.has(key);
    },
    async delete(key: string): Promise<void> {
      assertSafeKey(key);
      objects.delete(key);
    },
    async presign(key: string, o: PresignOptions): Promise<PresignedUrl> {
      assertSafeKey(key);
      const sha256 = presignSha256(key, o); // a bound PUT carries its sha256 (check uploads with assertUploadChecksum)
      const exp = Math.floor(clock.now().getTime() / 1000) + o.expiresInSec;
      const url = `memory://objects/${key}?method=${o.method}&expires=${exp}${sha256 ? `&sha256=${sha256}` : ''}&signature=${sign(o.method, key, exp, sha256)}`;
      return {
        url,
        method: o.method,
        expiresAt: new Date(exp * 1000).toISOString(),
        headers: o.method === 'PUT' && o.contentType ? { 'content-type': o.contentType } : {},
      };
    },
    keys(): string[] {
      return [...objects.keys()].sort();
    },
    verifyPresigned(url: string, method: 'GET' | 'PUT'): string {
      const u = new URL(url);
      const key = decodeURIComponent(u.pathname.replace(/^\/+/, ''));
      const exp = Number(u.searchParams.get('expires'));
      const given = Buffer.from(u.searchParams.get('signature') ?? '', 'hex');
      const expected = Buffer.from(sign(method, key, exp, u.searchParams.get('sha256')), 'hex');
      if (u.searchParams.get('method') !== method || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new JobkitError('UNAUTHORIZED', 'presigned URL signature is invalid');
      }
      if (exp < Math.floor(clock.now().getTime() / 1000)) throw new JobkitError('UNAUTHORIZED', 'presigned URL has expired');
      return key;
    },
  };
}
