import type { Readable } from 'node:stream';

export interface PutObjectOptions {
  contentType?: string;
  cacheControl?: string;
}

export interface ObjectInfo {
  key: string;
  size: number;
  contentType: string;
  lastModified?: string;
  etag?: string;
}

export interface PresignOptions {
  method: 'GET' | 'PUT';
  /** 1 s … 7 days. */
  expiresInSec: number;
  /** For PUT: the content type the uploader must send. */
  contentType?: string;
  /**
   * For PUT: the SHA-256 (lowercase hex) the uploaded bytes must have; other bytes are refused (S3: signed
   * `x-amz-checksum-sha256` header; local: signed into the URL, checked by the upload route). Implied for an
   * original's key (`originals/{sku}/{sha256}.{ext}`); a different value there is INVALID_INPUT.
   */
  sha256?: string;
}

export interface PresignedUrl {
  url: string;
  method: 'GET' | 'PUT';
  expiresAt: string;
  /** Headers the client must send with the request (e.g. content-type, x-amz-checksum-sha256 for PUT). */
  headers: Record<string, string>;
}

/**
 * Object storage port: originals, masks, backgrounds, composites. Keys are validated with
 * `assertSafeKey` by every implementation (no traversal, no absolute paths).
 */
export interface ObjectStore {
  put(key: string, body: Uint8Array, opts?: PutObjectOptions): Promise<void>;
  /** The bytes; NOT_FOUND when absent. */
  get(key: string): Promise<Buffer>;
  /** A stream of the bytes; NOT_FOUND when absent. */
  getStream(key: string): Promise<Readable>;
  /** Metadata, or null when absent. */
  head(key: string): Promise<ObjectInfo | null>;
  exists(key: string): Promise<boolean>;
  /** Idempotent: deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** An expiring URL for GET or PUT of `key`. */
  presign(key: string, opts: PresignOptions): Promise<PresignedUrl>;
  /**
   * Whether presigned URLs are reachable from the public internet (S3: yes; local files behind
   * 127.0.0.1: no). Hosted providers send bytes instead of URLs when false.
   */
  readonly publicUrls: boolean;
}

export const MIN_PRESIGN_SEC = 1;
export const MAX_PRESIGN_SEC = 7 * 24 * 3600;
