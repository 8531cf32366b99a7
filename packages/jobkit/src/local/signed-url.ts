/**
 * Expiring HMAC-signed URLs for the local object store, served by a small handler (the Express adapter
 * mounts it at /files/*key). The signature covers method, key, expiry and — for a PUT bound to its bytes —
 * the sha256 the upload must have (checked by the handler with `assertUploadChecksum`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { JobkitError } from '../errors.js';
import { assertSafeKey } from '../domain/keys.js';

export interface SignedUrlParams {
  method: 'GET' | 'PUT';
  key: string;
  /** Unix seconds. */
  expires: number;
  /** PUT only: the sha256 (hex) the uploaded bytes must have. */
  sha256?: string | undefined;
}

export function signUrlParams(secret: string | Buffer, p: SignedUrlParams): string {
  // Without sha256 the signed text is what it always was, so URLs issued before stay valid.
  return createHmac('sha256', secret)
    .update(`${p.method}\n${p.key}\n${p.expires}${p.sha256 ? `\n${p.sha256}` : ''}`)
    .digest('hex');
}

export function buildSignedUrl(baseUrl: string, secret: string | Buffer, p: SignedUrlParams): string {
  const path = p.key.split('/').map(encodeURIComponent).join('/');
  const sig = signUrlParams(secret, p);
  const bound = p.sha256 ? `&sha256=${p.sha256}` : '';
  return `${baseUrl.replace(/\/+$/, '')}/files/${path}?method=${p.method}&expires=${p.expires}${bound}&signature=${sig}`;
}

/**
 * Checks a request against its signed query. Throws UNAUTHORIZED (bad or missing signature, wrong method,
 * expired) or INVALID_INPUT (unsafe key). Returns the key.
 */
export function verifySignedRequest(
  secret: string | Buffer,
  req: { method: string; key: string; query: Record<string, unknown> },
  nowMs: number = Date.now(),
): string {
  assertSafeKey(req.key);
  const method = String(req.method).toUpperCase() === 'HEAD' ? 'GET' : String(req.method).toUpperCase();
  const q = req.query;
  const expires = Number(q['expires']);
  const signature = typeof q['signature'] === 'string' ? q['signature'] : '';
  const sha256 = q['sha256'];
  if (q['method'] !== method) throw new JobkitError('UNAUTHORIZED', `this URL is not signed for ${method}`);
  if (!Number.isInteger(expires) || !/^[0-9a-f]{64}$/.test(signature)) throw new JobkitError('UNAUTHORIZED', 'missing or malformed signature');
  if (sha256 !== undefined && (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256))) throw new JobkitError('UNAUTHORIZED', 'malformed sha256 binding');
  const expected = Buffer.from(signUrlParams(secret, { method: method as 'GET' | 'PUT', key: req.key, expires, sha256 }), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) throw new JobkitError('UNAUTHORIZED', 'signature does not match');
  if (expires * 1000 < nowMs) throw new JobkitError('UNAUTHORIZED', 'signed URL has expired');
  return req.key;
}
