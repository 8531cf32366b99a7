/**
 * GET/HEAD/PUT /files/*key: serves the local object store's signed URLs. Authentication is the URL signature
 * (method, key and expiry, checked by the store's verifyRequest). PUT accepts the image types the pipeline
 * decodes — by header and by the bytes' signature —, enforces a size limit while the body streams in, and an
 * upload to an original's key must hash to the sha256 the key names (CHECKSUM_MISMATCH otherwise, nothing stored).
 */
import {
  IMAGE_CONTENT_TYPES,
  JobkitError,
  assertUploadChecksum,
  contentTypeForKey,
  describeImageBytes,
  invalidInput,
  sniffImageType,
  type ObjectStore,
} from 'jobkit';
import { checkDeclaredLength, mediaType } from './body.js';
import { jsonResponse, type JobkitRequest, type JobkitResponse } from './exchange.js';

/** The part of LocalObjectStore the handler needs. */
export interface SignedUrlVerifier {
  verifyRequest(req: { method: string; key: string; query: Record<string, unknown> }): string;
}
export type FileServingObjectStore = ObjectStore & SignedUrlVerifier;

export function supportsSignedFiles(objects: ObjectStore): objects is FileServingObjectStore {
  return typeof (objects as Partial<SignedUrlVerifier>).verifyRequest === 'function';
}

/** Content types an upload may carry: the formats the pipeline decodes (the core's list, shared with downloads). */
export const UPLOAD_CONTENT_TYPES: readonly string[] = IMAGE_CONTENT_TYPES;

function queryRecord(query: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of query) out[k] = k in out ? [out[k], v].flat() : v;
  return out;
}

export function createFileRoutes(objects: FileServingObjectStore, maxUploadBytes: number) {
  const serve = async (req: JobkitRequest, key: string): Promise<JobkitResponse> => {
    objects.verifyRequest({ method: req.method, key, query: queryRecord(req.query) });
    const info = await objects.head(key);
    if (!info) throw new JobkitError('NOT_FOUND', `object ${key} not found`);
    const headers = {
      'content-type': contentTypeForKey(key),
      'content-length': String(info.size),
      'cache-control': 'private, max-age=60',
      'content-security-policy': "default-src 'none'",
    };
    if (req.method === 'HEAD') return { status: 200, headers, body: null };
    return { status: 200, headers, body: await objects.getStream(key) };
  };

  const upload = async (req: JobkitRequest, key: string): Promise<JobkitResponse> => {
    const query = queryRecord(req.query);
    objects.verifyRequest({ method: 'PUT', key, query });
    const type = mediaType(req.headers);
    if (!UPLOAD_CONTENT_TYPES.includes(type)) {
      throw new JobkitError('UNSUPPORTED_MEDIA_TYPE', `content-type must be one of ${UPLOAD_CONTENT_TYPES.join(', ')}`);
    }
    checkDeclaredLength(req.headers, maxUploadBytes);
    const body = await req.body.read(maxUploadBytes);
    if (body.length === 0) throw invalidInput('body', 'upload is empty');
    // The header is what the client claims; the bytes are what the decoder will see (an SVG sent as image/png…).
    const sniffed = sniffImageType(body);
    if (sniffed !== type) {
      throw new JobkitError('UNSUPPORTED_MEDIA_TYPE', `the bytes are ${sniffed ?? describeImageBytes(body)}, not the ${type} the content-type says`);
    }
    // An original's key (and a URL presigned with sha256) binds the bytes: other bytes change nothing.
    assertUploadChecksum(key, body, query);
    await objects.put(key, body, { contentType: type });
    return jsonResponse(200, { key, size: body.length });
  };

  return { serve, upload };
}

/** The object key of a `/files/*key` path: each segment percent-decoded (traversal is caught by the store). */
export function fileKey(rest: string): string {
  let key: string;
  try {
    key = rest.split('/').map(decodeURIComponent).join('/');
  } catch {
    throw invalidInput('key', 'malformed percent-encoding in the object key');
  }
  if (key.length === 0) throw invalidInput('key', 'missing object key');
  return key;
}
