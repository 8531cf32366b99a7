/**
 * Request bodies: raw bytes for signed routes (never inflated, never parsed before the signature check),
 * JSON for the management API, url-encoded forms for the dashboard. Limits are enforced while the body
 * streams in, by the transport's `BodySource`.
 */
import type { Readable } from 'node:stream';
import { JobkitError, invalidInput } from 'jobkit';
import type { JobkitRequest } from './exchange.js';

const tooLarge = (limit: number) => new JobkitError('PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`);

/** PAYLOAD_TOO_LARGE before reading anything when the declared length is over the limit. */
export function checkDeclaredLength(headers: JobkitRequest['headers'], limit: number): void {
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
}

/** The media type of a content-type header, lower-case, without parameters. */
export function mediaType(headers: JobkitRequest['headers']): string {
  return (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * A signed body must be the bytes that were sent: a compressed body would be verified against its inflated
 * bytes (which the sender never signed). Refused with 415 before any signature work.
 */
export function refuseContentEncoding(headers: JobkitRequest['headers']): void {
  const encoding = (headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    throw new JobkitError(
      'UNSUPPORTED_MEDIA_TYPE',
      `content-encoding "${encoding}" is not accepted here: the signature covers the bytes as sent; send the body uncompressed`,
    );
  }
}

function hasBody(req: JobkitRequest): boolean {
  return req.body.present ?? (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0);
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

/**
 * A JSON body as a value: `{}` when there is none, 415 for another content type, 400 for malformed JSON.
 * A body a framework already parsed is used as it is.
 */
export async function readJson(req: JobkitRequest, limit: number): Promise<unknown> {
  if (req.body.parsed) return req.body.parsed.value ?? {};
  if (!hasBody(req)) return {};
  if (!JSON_TYPE.test(mediaType(req.headers))) throw new JobkitError('UNSUPPORTED_MEDIA_TYPE', 'request body must be application/json');
  refuseContentEncoding(req.headers);
  checkDeclaredLength(req.headers, limit);
  const bytes = await req.body.read(limit);
  if (bytes.length === 0) return {};
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    throw invalidInput('body', 'request body is not valid JSON');
  }
}

/** A url-encoded form as a plain record (first value of each field); a parsed body is used as it is. */
export async function readForm(req: JobkitRequest, limit: number): Promise<Record<string, unknown>> {
  if (req.body.parsed) {
    const v = req.body.parsed.value;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  }
  if (!hasBody(req) || mediaType(req.headers) !== 'application/x-www-form-urlencoded') return {};
  checkDeclaredLength(req.headers, limit);
  const params = new URLSearchParams((await req.body.read(limit)).toString('utf8'));
  const out: Record<string, unknown> = {};
  for (const [k, v] of params) if (!(k in out)) out[k] = v;
  return out;
}

/** Reads a Node stream up to `limit` bytes; PAYLOAD_TOO_LARGE as soon as it is exceeded (then stops reading). */
export function readNodeStream(stream: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      stream.off('data', onData);
      stream.off('end', onEnd);
      if (err) {
        stream.pause();
        reject(err);
      } else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return finish(tooLarge(limit));
      chunks.push(chunk);
    };
    const onEnd = () => finish(null);
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', (e) => finish(invalidInput('body', `request body could not be read: ${e.message}`)));
    stream.once('aborted', () => finish(invalidInput('body', 'request was aborted')));
  });
}

/** Reads a Request's body up to `limit` bytes; PAYLOAD_TOO_LARGE as soon as it is exceeded (then cancels it). */
export async function readRequestBody(request: Request, limit: number): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  // A declared length within the limit: one read (the transport enforces the framing); else chunk by chunk.
  if (Number.isInteger(declared) && declared <= limit) {
    try {
      return Buffer.from(await request.arrayBuffer());
    } catch (e) {
      throw invalidInput('body', `request body could not be read: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return readWebStream(request.body, limit);
}

/** Reads a web stream up to `limit` bytes; PAYLOAD_TOO_LARGE as soon as it is exceeded (then cancels it). */
async function readWebStream(stream: ReadableStream<Uint8Array> | null, limit: number): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await reader.read();
    } catch (e) {
      throw invalidInput('body', `request body could not be read: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (result.done) break;
    size += result.value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(result.value);
  }
  return Buffer.concat(chunks, size);
}
