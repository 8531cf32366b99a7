import { invalidInput } from '../errors.js';
import { MAX_PRESIGN_SEC, MIN_PRESIGN_SEC, type PresignOptions } from '../ports/object-store.js';
import { expectedSha256OfKey } from '../security/upload-checksum.js';

/** Shared by every ObjectStore: method GET|PUT, expiry 1 s … 7 days, content type, sha256 (PUT only). */
export function validatePresignOptions(o: PresignOptions): void {
  if (o === null || typeof o !== 'object') throw invalidInput('options', 'presign options are required');
  if (o.method !== 'GET' && o.method !== 'PUT') throw invalidInput('method', 'must be GET or PUT');
  if (!Number.isInteger(o.expiresInSec) || o.expiresInSec < MIN_PRESIGN_SEC || o.expiresInSec > MAX_PRESIGN_SEC) {
    throw invalidInput('expiresInSec', `must be an integer from ${MIN_PRESIGN_SEC} to ${MAX_PRESIGN_SEC}`);
  }
  if (o.contentType !== undefined && !/^[\w.+-]+\/[\w.+-]+$/.test(o.contentType)) throw invalidInput('contentType', 'must be a MIME type');
  if (o.sha256 !== undefined) {
    if (o.method !== 'PUT') throw invalidInput('sha256', 'binds uploads only (PUT)');
    if (typeof o.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(o.sha256)) throw invalidInput('sha256', 'must be 64 lowercase hex characters');
  }
}

/**
 * The sha256 a presigned PUT must bind (the explicit `sha256`, or the one an original's key names), or null.
 * Validates the options first; INVALID_INPUT when `sha256` contradicts the key.
 */
export function presignSha256(key: string, o: PresignOptions): string | null {
  validatePresignOptions(o);
  if (o.method !== 'PUT') return null;
  const implied = expectedSha256OfKey(key);
  if (o.sha256 !== undefined && implied !== null && o.sha256 !== implied) {
    throw invalidInput('sha256', `${key} holds bytes that hash to ${implied}, not ${o.sha256}`);
  }
  return o.sha256 ?? implied;
}
