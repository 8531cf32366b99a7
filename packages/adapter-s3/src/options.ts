import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { assertSafeKey, invalidInput, type Clock } from 'jobkit';

interface S3ObjectStoreCommonOptions {
  /** The bucket name (S3 naming rules: 3–63 lowercase letters, digits, dots and hyphens). */
  bucket: string;
  /** Every key is stored under `{prefix}/`; validated like a key (a trailing slash is allowed). */
  prefix?: string;
  /**
   * Whether presigned URLs are reachable from the public internet. True by default (S3, R2); set false
   * for a private MinIO so hosted providers get bytes instead of URLs.
   */
  publicUrls?: boolean;
  /** Time source for presigned URLs (tests). */
  clock?: Clock;
}

/** Either your own S3Client (you close it) or a config for one the store creates with safe defaults. */
export type S3ObjectStoreOptions = S3ObjectStoreCommonOptions &
  (
    | {
        /** Used as is. Presigned URLs are stripped of checksum parameters whatever its checksum settings. */
        client: S3Client;
        clientConfig?: never;
      }
    | {
        client?: never;
        /**
         * Passed to `new S3Client()` on top of `requestChecksumCalculation` and `responseChecksumValidation`
         * = `WHEN_REQUIRED`. For S3-compatible servers set `endpoint` and usually `forcePathStyle: true`.
         */
        clientConfig?: S3ClientConfig;
      }
  );

/** S3 bucket naming rules (also accepted by R2 and MinIO): no uppercase, no underscores, no IP addresses. */
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function validateBucket(bucket: unknown, field = 'bucket'): string {
  if (typeof bucket !== 'string' || !BUCKET_PATTERN.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    throw invalidInput(field, `invalid S3 bucket name ${JSON.stringify(String(bucket)).slice(0, 80)}`);
  }
  return bucket;
}

/** '' or undefined → no prefix; otherwise a safe key without the trailing slash. */
export function normalizePrefix(prefix: unknown, field = 'prefix'): string {
  if (prefix === undefined || prefix === '') return '';
  if (typeof prefix !== 'string') throw invalidInput(field, 'must be a string');
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  assertSafeKey(trimmed, field);
  return trimmed;
}
