import { invalidInput } from '../errors.js';
import { MAX_PRESIGN_SEC, MIN_PRESIGN_SEC, type PresignOptions } from '../ports/object-store.js';

/** Shared by every ObjectStore: method GET|PUT, expiry 1 s … 7 days. */
export function validatePresignOptions(o: PresignOptions): void {
  if (o === null || typeof o !== 'object') throw invalidInput('options', 'presign options are required');
  if (o.method !== 'GET' && o.method !== 'PUT') throw invalidInput('method', 'must be GET or PUT');
  if (!Number.isInteger(o.expiresInSec) || o.expiresInSec < MIN_PRESIGN_SEC || o.expiresInSec > MAX_PRESIGN_SEC) {
    throw invalidInput('expiresInSec', `must be an integer from ${MIN_PRESIGN_SEC} to ${MAX_PRESIGN_SEC}`);
  }
  if (o.contentType !== undefined && !/^[\w.+-]+\/[\w.+-]+$/.test(o.contentType)) throw invalidInput('contentType', 'must be a MIME type');
}
