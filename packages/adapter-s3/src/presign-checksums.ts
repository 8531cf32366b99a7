import type { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';

const CHECKSUM_HEADER = /^x-amz-(checksum-|sdk-checksum-algorithm$)/i;

/**
 * Removes flexible-checksum headers from a request that is about to be presigned, except the ones in `keep`
 * (the SHA-256 a bound upload must match), which are set to exactly the given values.
 *
 * Belt and braces for callers who pass their own client with the SDK's default `WHEN_SUPPORTED` checksums:
 * the SDK would compute a CRC32 of the empty body it sees while presigning a PUT and hoist it into the URL
 * (`x-amz-checksum-crc32=AAAAAA==`), so every real upload through that URL fails. For GET it drops
 * `x-amz-checksum-mode`, which some S3-compatible servers reject. Runs in the build step after the SDK's
 * checksum middleware (priority low = inner).
 */
export function withoutPresignChecksums<C extends GetObjectCommand | PutObjectCommand>(command: C, keep: Record<string, string> = {}): C {
  // The middleware touches only the HTTP request, so the command's input/output types do not matter.
  (command.middlewareStack as PutObjectCommand['middlewareStack']).add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> } | undefined;
      if (request?.headers) {
        for (const name of Object.keys(request.headers)) if (CHECKSUM_HEADER.test(name)) delete request.headers[name];
        Object.assign(request.headers, keep);
      }
      return next(args);
    },
    { step: 'build', priority: 'low', name: 'jobkitStripPresignChecksums', override: true },
  );
  return command;
}
