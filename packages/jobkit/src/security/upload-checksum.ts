/**
 * Uploads cannot replace an original with other bytes. An original's key names the sha256 of its bytes
 * (`originals/{sku}/{sha256}.{ext}`), and a presigned PUT URL stays valid for up to a week: whoever holds it
 * could otherwise swap the photo every job of that sha256 reuses. So an upload to such a key must hash to the
 * key's sha256, and a PUT presigned with `sha256` must hash to that.
 */
import { createHash } from 'node:crypto';
import { JobkitError } from '../errors.js';
import { IMAGE_EXTENSIONS } from '../domain/keys.js';

const ORIGINAL_KEY = new RegExp(`^originals/[A-Za-z0-9._-]+/([0-9a-f]{64})\\.(?:${IMAGE_EXTENSIONS.join('|')})$`);
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The sha256 (lowercase hex) an object's bytes must have because its key names it, or null. */
export function expectedSha256OfKey(key: string): string | null {
  return ORIGINAL_KEY.exec(key)?.[1] ?? null;
}

/**
 * Throws CHECKSUM_MISMATCH (details: key, expected, actual) unless `body` hashes to every sha256 the upload is
 * bound to: the one its key names (an original) and the `sha256` of a signed URL's query, when present.
 * Call it after the URL's signature was verified (which covers `sha256`) and before storing anything.
 */
export function assertUploadChecksum(key: string, body: Uint8Array, signedQuery: Record<string, unknown> = {}): void {
  const fromQuery = signedQuery['sha256'];
  const expected = [expectedSha256OfKey(key), typeof fromQuery === 'string' && SHA256_HEX.test(fromQuery) ? fromQuery : null].filter(
    (s): s is string => s !== null,
  );
  if (expected.length === 0) return;
  const actual = createHash('sha256').update(body).digest('hex');
  const wrong = expected.find((e) => e !== actual);
  if (wrong) {
    throw new JobkitError('CHECKSUM_MISMATCH', `upload to ${key} hashes to ${actual}, but it must hash to ${wrong}`, {
      details: { key, expected: wrong, actual },
    });
  }
}
