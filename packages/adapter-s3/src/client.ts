import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/**
 * Settings that work on real S3 and on S3-compatible servers (R2, MinIO, …).
 *
 * Since 3.729 the SDK defaults to `WHEN_SUPPORTED` checksums: it computes a CRC32 for every PutObject —
 * including the *empty* body it sees while presigning, which lands in the presigned URL as
 * `x-amz-checksum-crc32=AAAAAA==` and makes S3 reject the real upload. Several compatible servers also
 * reject or mishandle the new checksum headers. `WHEN_REQUIRED` restores the pre-3.729 behaviour.
 */
export const S3_CLIENT_DEFAULTS = {
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
} as const satisfies Partial<S3ClientConfig>;

/** A client with {@link S3_CLIENT_DEFAULTS}; explicit values in `config` win. */
export function createS3Client(config: S3ClientConfig = {}): S3Client {
  return new S3Client({ ...S3_CLIENT_DEFAULTS, ...config });
}
