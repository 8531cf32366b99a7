/**
 * Downloads a finished prediction's outputs right away: Replicate deletes API outputs after about an
 * hour, so the worker stores our bytes, never Replicate's URLs. Outputs are URLs (http(s) or data:),
 * a single one or a list.
 */
import { JobkitError } from 'jobkit';
import { errorForStatus, networkError, type StepErrorCode } from './error-mapping.js';
import type { FetchLike } from './guarded-fetch.js';

export const DEFAULT_MAX_OUTPUT_BYTES = 50 * 1024 * 1024;

export interface DownloadOptions {
  fetch: FetchLike;
  step: StepErrorCode;
  signal: AbortSignal;
  timeoutMs: number;
  maxBytes: number;
  now: () => Date;
}

/** The output URLs of a prediction, in order; throws when the output has an unexpected shape. */
export function outputUrls(output: unknown, step: StepErrorCode): string[] {
  const list = Array.isArray(output) ? output : output === undefined || output === null ? [] : [output];
  if (list.length === 0 || !list.every((v): v is string => typeof v === 'string')) {
    throw new JobkitError(step, `Replicate returned an unexpected output (${JSON.stringify(output)?.slice(0, 200)})`, { retryable: false });
  }
  return list;
}

/** An output that is gone (expired, removed) rather than temporarily unavailable. */
export function isGoneError(err: unknown): boolean {
  const status = (err as JobkitError | undefined)?.details?.status;
  return status === 404 || status === 410;
}

async function readCapped(res: Response, maxBytes: number, step: StepErrorCode, url: string): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new JobkitError(step, `output ${url} is ${declared} bytes (limit ${maxBytes})`, { retryable: false });
  }
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new JobkitError(step, `output ${url} exceeds ${maxBytes} bytes`, { retryable: false });
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

function decodeDataUri(uri: string, step: StepErrorCode): Buffer {
  const m = /^data:[^,]*?(;base64)?,(.*)$/s.exec(uri);
  if (!m) throw new JobkitError(step, 'Replicate returned a malformed data URI', { retryable: false });
  return m[1] ? Buffer.from(m[2]!, 'base64') : Buffer.from(decodeURIComponent(m[2]!), 'utf8');
}

export async function downloadOutput(url: string, opts: DownloadOptions): Promise<Buffer> {
  if (url.startsWith('data:')) return decodeDataUri(url, opts.step);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new JobkitError(opts.step, `Replicate returned an invalid output URL`, { retryable: false });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new JobkitError(opts.step, `Replicate returned an output URL with protocol ${parsed.protocol}`, { retryable: false });
  }
  const ctx = { step: opts.step, action: `downloading output ${parsed.pathname.split('/').pop() ?? ''}`, signal: opts.signal, now: opts.now() };
  const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]);
  let res: Response;
  try {
    res = await opts.fetch(parsed, { signal });
  } catch (err) {
    if (opts.signal.aborted) throw new JobkitError('CANCELLED', 'downloading a Replicate output was cancelled', { cause: err });
    throw networkError(err, ctx);
  }
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    throw errorForStatus(res.status, res.headers, text, ctx);
  }
  try {
    return await readCapped(res, opts.maxBytes, opts.step, parsed.pathname);
  } catch (err) {
    if (JobkitError.is(err)) throw err;
    if (opts.signal.aborted) throw new JobkitError('CANCELLED', 'downloading a Replicate output was cancelled', { cause: err });
    throw networkError(err, ctx);
  }
}
