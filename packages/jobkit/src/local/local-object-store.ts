/**
 * ObjectStore on a local directory. Writes are atomic (temp file + rename), keys are validated against
 * traversal and resolved paths are checked to stay inside the root. Presigned URLs are HMAC-signed and
 * expiring; the Express adapter's file handler serves them (GET and PUT). A PUT URL for an original's key (or
 * presigned with `sha256`) carries the sha256 its bytes must have; the handler checks it (assertUploadChecksum).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { JobkitError, invalidInput } from '../errors.js';
import { assertSafeKey, contentTypeForKey } from '../domain/keys.js';
import type { ObjectInfo, ObjectStore, PresignOptions, PresignedUrl, PutObjectOptions } from '../ports/object-store.js';
import { systemClock, type Clock } from '../ports/clock.js';
import { presignSha256 } from './presign-validation.js';
import { buildSignedUrl, verifySignedRequest } from './signed-url.js';

export interface LocalObjectStoreOptions {
  /** Root directory (created if missing). */
  dir: string;
  /** Base URL under which the file handler is mounted, e.g. http://127.0.0.1:4000/api (URLs end in /files/{key}). */
  baseUrl?: string;
  /** HMAC secret for signed URLs (≥ 16 bytes). Default: random per process (URLs die with the process). */
  signingSecret?: string;
  clock?: Clock;
}

export interface LocalObjectStore extends ObjectStore {
  readonly dir: string;
  /** Verifies a signed request (for the file handler); returns the key or throws UNAUTHORIZED / INVALID_INPUT. */
  verifyRequest(req: { method: string; key: string; query: Record<string, unknown> }): string;
  /** Absolute path of a key's file (validated). */
  pathOf(key: string): string;
}

export function createLocalObjectStore(opts: LocalObjectStoreOptions): LocalObjectStore {
  if (!opts || typeof opts.dir !== 'string' || opts.dir.length === 0) throw invalidInput('dir', 'a directory is required');
  if (opts.signingSecret !== undefined && opts.signingSecret.length < 16) throw invalidInput('signingSecret', 'must be at least 16 characters');
  const root = path.resolve(opts.dir);
  const tmpDir = path.join(root, '.tmp');
  const secret = opts.signingSecret ?? randomBytes(32).toString('hex');
  const clock = opts.clock ?? systemClock;
  const baseUrl = opts.baseUrl ?? 'http://127.0.0.1:4000/api';
  let ready: Promise<void> | null = null;
  const ensureRoot = () => (ready ??= fs.mkdir(tmpDir, { recursive: true }).then(() => undefined));

  const pathOf = (key: string): string => {
    assertSafeKey(key);
    const p = path.resolve(root, ...key.split('/'));
    if (!p.startsWith(root + path.sep)) throw invalidInput('key', 'resolves outside the store');
    return p;
  };
  const storageError = (e: unknown, op: string, key: string): JobkitError => {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return new JobkitError('NOT_FOUND', `object ${key} not found`, { details: { key } });
    if (JobkitError.is(e)) return e;
    return new JobkitError('STORAGE_FAILED', `${op} ${key} failed: ${(e as Error).message}`, { retryable: code !== 'EACCES' && code !== 'EROFS', cause: e });
  };

  return {
    dir: root,
    publicUrls: false,
    pathOf,
    async put(key: string, body: Uint8Array, _o: PutObjectOptions = {}): Promise<void> {
      const target = pathOf(key);
      if (!(body instanceof Uint8Array)) throw invalidInput('body', 'must be bytes');
      await ensureRoot();
      const tmp = path.join(tmpDir, randomUUID());
      try {
        await fs.mkdir(path.dirname(target), { recursive: true });
        await fs.writeFile(tmp, body);
        await fs.rename(tmp, target);
      } catch (e) {
        await fs.rm(tmp, { force: true }).catch(() => undefined);
        throw storageError(e, 'put', key);
      }
    },
    async get(key: string): Promise<Buffer> {
      const p = pathOf(key);
      try {
        return await fs.readFile(p);
      } catch (e) {
        throw storageError(e, 'get', key);
      }
    },
    async getStream(key: string): Promise<Readable> {
      const p = pathOf(key);
      try {
        await fs.access(p);
      } catch (e) {
        throw storageError(e, 'get', key);
      }
      return createReadStream(p);
    },
    async head(key: string): Promise<ObjectInfo | null> {
      const p = pathOf(key);
      try {
        const st = await fs.stat(p);
        if (!st.isFile()) return null;
        return { key, size: st.size, contentType: contentTypeForKey(key), lastModified: st.mtime.toISOString() };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw storageError(e, 'head', key);
      }
    },
    async exists(key: string): Promise<boolean> {
      return (await this.head(key)) !== null;
    },
    async delete(key: string): Promise<void> {
      const p = pathOf(key);
      try {
        await fs.rm(p, { force: true });
      } catch (e) {
        throw storageError(e, 'delete', key);
      }
    },
    async presign(key: string, o: PresignOptions): Promise<PresignedUrl> {
      assertSafeKey(key);
      const sha256 = presignSha256(key, o) ?? undefined;
      const expires = Math.floor(clock.now().getTime() / 1000) + o.expiresInSec;
      return {
        url: buildSignedUrl(baseUrl, secret, { method: o.method, key, expires, sha256 }),
        method: o.method,
        expiresAt: new Date(expires * 1000).toISOString(),
        headers: o.method === 'PUT' && o.contentType ? { 'content-type': o.contentType } : {},
      };
    },
    verifyRequest(req) {
      return verifySignedRequest(secret, req, clock.now().getTime());
    },
  };
}
