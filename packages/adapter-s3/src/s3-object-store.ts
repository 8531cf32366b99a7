import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  JobkitError,
  assertSafeKey,
  contentTypeForKey,
  invalidInput,
  presignSha256,
  systemClock,
  validatePresignOptions,
  type ObjectInfo,
  type ObjectStore,
  type PresignOptions,
  type PresignedUrl,
  type PutObjectOptions,
} from 'jobkit';
import { createS3Client } from './client.js';
import { mapS3Error } from './errors.js';
import { normalizePrefix, validateBucket, type S3ObjectStoreOptions } from './options.js';
import { withoutPresignChecksums } from './presign-checksums.js';

const CHECKSUM_SHA256 = 'x-amz-checksum-sha256';

export interface S3ObjectStore extends ObjectStore {
  readonly bucket: string;
  /** The normalised prefix ('' when none). */
  readonly prefix: string;
  readonly client: S3Client;
  /** Destroys the client if the store created it (a client you passed in is left alone). */
  close(): void;
}

/** An ObjectStore on S3 or an S3-compatible server (R2, MinIO, …). */
export function createS3ObjectStore(opts: S3ObjectStoreOptions): S3ObjectStore {
  if (opts === null || typeof opts !== 'object') throw invalidInput('options', 'S3 object store options are required');
  const bucket = validateBucket(opts.bucket);
  const prefix = normalizePrefix(opts.prefix);
  if (opts.publicUrls !== undefined && typeof opts.publicUrls !== 'boolean') throw invalidInput('publicUrls', 'must be a boolean');
  if (opts.client !== undefined && opts.clientConfig !== undefined) throw invalidInput('client', 'pass either client or clientConfig, not both');
  const ownsClient = opts.client === undefined;
  const client = opts.client ?? createS3Client(opts.clientConfig);
  const clock = opts.clock ?? systemClock;

  const fullKey = (key: string): string => {
    assertSafeKey(key);
    return prefix ? `${prefix}/${key}` : key;
  };

  // A HEAD on a missing bucket answers a bare 404, like a missing key. Until some request has shown that the
  // bucket exists, a 404 from HEAD is double-checked so a misconfigured bucket fails loudly instead of
  // reporting every object as absent.
  let bucketSeen = false;
  let bucketCheck: Promise<void> | undefined;
  const ensureBucket = (): Promise<void> => {
    bucketCheck ??= client.send(new HeadBucketCommand({ Bucket: bucket })).then(
      () => {
        bucketSeen = true;
      },
      (e: unknown) => {
        bucketCheck = undefined;
        const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 404) {
          throw new JobkitError('STORAGE_FAILED', `S3 bucket "${bucket}" does not exist (head)`, {
            retryable: false,
            cause: e,
            details: { bucket, operation: 'head' },
          });
        }
        throw mapS3Error(e, { operation: 'head bucket', bucket });
      },
    );
    return bucketCheck;
  };

  async function send<T>(operation: string, key: string, run: () => Promise<T>): Promise<T> {
    try {
      const out = await run();
      bucketSeen = true;
      return out;
    } catch (e) {
      throw mapS3Error(e, { operation, bucket, key });
    }
  }

  /** Presigning is local (no request), so it says nothing about the bucket. */
  async function sign(operation: string, key: string, run: () => Promise<string>): Promise<string> {
    try {
      return await run();
    } catch (e) {
      throw mapS3Error(e, { operation, bucket, key });
    }
  }

  async function openBody(key: string, operation: string): Promise<Readable> {
    const Key = fullKey(key);
    const out = await send(operation, key, () => client.send(new GetObjectCommand({ Bucket: bucket, Key })));
    const body = out.Body;
    if (body instanceof Readable) return body;
    if (body) return Readable.fromWeb(body.transformToWebStream() as unknown as NodeWebStream);
    throw new JobkitError('STORAGE_FAILED', `S3 ${operation} of "${key}" in bucket "${bucket}" returned no body`, { details: { bucket, key } });
  }

  async function head(key: string): Promise<ObjectInfo | null> {
    const Key = fullKey(key);
    try {
      const out = await send('head', key, () => client.send(new HeadObjectCommand({ Bucket: bucket, Key })));
      return {
        key,
        size: out.ContentLength ?? 0,
        contentType: out.ContentType ?? 'application/octet-stream',
        ...(out.LastModified ? { lastModified: out.LastModified.toISOString() } : {}),
        ...(out.ETag ? { etag: out.ETag.replace(/^"|"$/g, '') } : {}),
      };
    } catch (e) {
      if (!JobkitError.is(e, 'NOT_FOUND')) throw e;
      if (!bucketSeen) await ensureBucket();
      return null;
    }
  }

  return {
    bucket,
    prefix,
    client,
    publicUrls: opts.publicUrls ?? true,

    async put(key: string, body: Uint8Array, o: PutObjectOptions = {}): Promise<void> {
      const Key = fullKey(key);
      if (!(body instanceof Uint8Array)) throw invalidInput('body', 'must be bytes');
      await send('put', key, () =>
        client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key,
            Body: body,
            ContentLength: body.byteLength,
            ContentType: o.contentType ?? contentTypeForKey(key),
            ...(o.cacheControl !== undefined ? { CacheControl: o.cacheControl } : {}),
          }),
        ),
      );
    },

    async get(key: string): Promise<Buffer> {
      const stream = await openBody(key, 'get');
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
      } catch (e) {
        throw mapS3Error(e, { operation: 'get', bucket, key });
      }
      return Buffer.concat(chunks);
    },

    getStream(key: string): Promise<Readable> {
      return openBody(key, 'getStream');
    },

    head,

    async exists(key: string): Promise<boolean> {
      return (await head(key)) !== null;
    },

    async delete(key: string): Promise<void> {
      const Key = fullKey(key);
      try {
        await send('delete', key, () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key })));
      } catch (e) {
        // S3 answers 204 for a missing key; some compatible servers answer 404. Both mean "gone".
        if (!JobkitError.is(e, 'NOT_FOUND')) throw e;
      }
    },

    async presign(key: string, o: PresignOptions): Promise<PresignedUrl> {
      const Key = fullKey(key);
      validatePresignOptions(o);
      // SigV4 dates have second precision: sign with a whole second so expiresAt is exact.
      const signingDate = new Date(Math.floor(clock.now().getTime() / 1000) * 1000);
      const expiresAt = new Date(signingDate.getTime() + o.expiresInSec * 1000).toISOString();
      if (o.method === 'GET') {
        const command = withoutPresignChecksums(new GetObjectCommand({ Bucket: bucket, Key }));
        const url = await sign('presign GET', key, () => getSignedUrl(client, command, { expiresIn: o.expiresInSec, signingDate }));
        return { url, method: 'GET', expiresAt, headers: {} };
      }
      // A PUT to an original's key (or one presigned with sha256) is bound to its bytes: S3 hashes the body and
      // refuses other bytes (400 BadDigest) while the URL lives, so nobody holding it can replace the photo.
      const sha256 = presignSha256(key, o);
      const checksum = sha256 ? Buffer.from(sha256, 'hex').toString('base64') : undefined;
      const headers: Record<string, string> = {
        ...(o.contentType ? { 'content-type': o.contentType } : {}),
        ...(checksum ? { [CHECKSUM_SHA256]: checksum } : {}),
      };
      const command = withoutPresignChecksums(
        new PutObjectCommand({
          Bucket: bucket,
          Key,
          ...(o.contentType ? { ContentType: o.contentType } : {}),
          ...(checksum ? { ChecksumSHA256: checksum } : {}),
        }),
        checksum ? { [CHECKSUM_SHA256]: checksum } : {},
      );
      // The presigner leaves content-type unsigned by default; signing it makes S3 refuse an upload with
      // another type, so the stored object has the type the caller asked for. The checksum stays a signed
      // header (not hoisted into the query), so the uploader must send exactly that value.
      const url = await sign('presign PUT', key, () =>
        getSignedUrl(client, command, {
          expiresIn: o.expiresInSec,
          signingDate,
          signableHeaders: new Set(Object.keys(headers)),
          ...(checksum ? { unhoistableHeaders: new Set([CHECKSUM_SHA256]) } : {}),
        }),
      );
      return { url, method: 'PUT', expiresAt, headers };
    },

    close(): void {
      if (ownsClient) client.destroy();
    },
  };
}
