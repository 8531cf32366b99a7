/**
 * GET/PUT /files/*key: serves the local object store's signed URLs. Authentication is the URL signature
 * (method, key and expiry, checked by the store's verifyRequest). PUT accepts image content types only
 * and enforces a size limit while the body streams in.
 */
import { Router, type Request, type RequestHandler } from 'express';
import { JobkitError, contentTypeForKey, invalidInput, type ObjectStore } from 'jobkit';

/** The part of LocalObjectStore the handler needs. */
export interface SignedUrlVerifier {
  verifyRequest(req: { method: string; key: string; query: Record<string, unknown> }): string;
}
export type FileServingObjectStore = ObjectStore & SignedUrlVerifier;

export function supportsSignedFiles(objects: ObjectStore): objects is FileServingObjectStore {
  return typeof (objects as Partial<SignedUrlVerifier>).verifyRequest === 'function';
}

export const UPLOAD_CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/avif', 'image/gif', 'image/tiff'];

function keyOf(req: Request): string {
  const segments = (req.params as Record<string, unknown>)['key'];
  const key = Array.isArray(segments) ? segments.join('/') : typeof segments === 'string' ? segments : '';
  if (key.length === 0) throw invalidInput('key', 'missing object key');
  return key;
}

/** Reads the body up to `limit` bytes; PAYLOAD_TOO_LARGE as soon as it is exceeded. */
function readLimited(req: Request, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: Error | null, value?: Buffer) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      if (err) {
        // Stop reading; the connection is closed after the 413 is sent.
        req.unpipe?.();
        req.pause();
        reject(err);
      } else resolve(value!);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return finish(new JobkitError('PAYLOAD_TOO_LARGE', `upload exceeds ${limit} bytes`));
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish(null, Buffer.concat(chunks, size)));
    req.once('error', (e) => finish(invalidInput('body', `upload failed: ${e.message}`)));
    req.once('aborted', () => finish(invalidInput('body', 'upload aborted')));
  });
}

export function createFilesRouter(objects: FileServingObjectStore, maxUploadBytes: number): Router {
  const router = Router();

  const serve: RequestHandler = async (req, res) => {
    const key = objects.verifyRequest({ method: req.method, key: keyOf(req), query: req.query as Record<string, unknown> });
    const info = await objects.head(key);
    if (!info) throw new JobkitError('NOT_FOUND', `object ${key} not found`);
    res.setHeader('content-type', contentTypeForKey(key));
    res.setHeader('content-length', String(info.size));
    res.setHeader('cache-control', 'private, max-age=60');
    res.setHeader('content-security-policy', "default-src 'none'");
    if (req.method === 'HEAD') {
      res.status(200).end();
      return;
    }
    const stream = await objects.getStream(key);
    await new Promise<void>((resolve, reject) => {
      stream.once('error', reject);
      res.once('close', () => {
        stream.destroy();
        resolve();
      });
      stream.pipe(res);
    });
  };

  const upload: RequestHandler = async (req, res) => {
    const key = objects.verifyRequest({ method: 'PUT', key: keyOf(req), query: req.query as Record<string, unknown> });
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!UPLOAD_CONTENT_TYPES.includes(type)) {
      throw new JobkitError('UNSUPPORTED_MEDIA_TYPE', `content-type must be one of ${UPLOAD_CONTENT_TYPES.join(', ')}`);
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxUploadBytes) {
      res.setHeader('connection', 'close');
      throw new JobkitError('PAYLOAD_TOO_LARGE', `upload exceeds ${maxUploadBytes} bytes`);
    }
    let body: Buffer;
    try {
      body = await readLimited(req, maxUploadBytes);
    } catch (e) {
      res.setHeader('connection', 'close');
      throw e;
    }
    if (body.length === 0) throw invalidInput('body', 'upload is empty');
    await objects.put(key, body, { contentType: type });
    res.status(200).json({ key, size: body.length });
  };

  router.get('/files/*key', serve);
  router.put('/files/*key', upload);
  return router;
}
