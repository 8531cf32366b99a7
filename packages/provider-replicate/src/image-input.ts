/**
 * How an image reaches Replicate: a presigned GET URL when the object store has public URLs (nothing
 * is uploaded twice); otherwise the bytes inline as a data URI when small (Replicate recommends data
 * URIs only below ~1 MB — the whole JSON body travels with every create), else uploaded through the
 * Files API (`files.create`, up to 100 MB) and referenced by its URL.
 */
import type Replicate from 'replicate';
import { JobkitError, type ImageSource } from 'jobkit';
import { toJobkitError, type StepErrorCode } from './error-mapping.js';

export const DEFAULT_DATA_URI_MAX_BYTES = 1024 * 1024;
const FILES_API_MAX_BYTES = 100 * 1024 * 1024;
/** Presigned URLs must outlive a queued prediction; Replicate fetches inputs when the run starts. */
const INPUT_URL_TTL_SEC = 6 * 3600;

export interface ImageInputOptions {
  client: Replicate;
  dataUriMaxBytes: number;
  step: StepErrorCode;
  signal: AbortSignal;
  now: () => Date;
}

export async function imageInput(source: ImageSource, opts: ImageInputOptions): Promise<string> {
  const url = await source.publicUrl(INPUT_URL_TTL_SEC);
  if (url) return url;
  const bytes = await source.bytes();
  if (bytes.length <= opts.dataUriMaxBytes) return `data:${source.contentType};base64,${bytes.toString('base64')}`;
  if (bytes.length > FILES_API_MAX_BYTES) {
    throw new JobkitError(opts.step, `image ${source.key} is ${bytes.length} bytes; Replicate's Files API accepts at most ${FILES_API_MAX_BYTES}`, {
      retryable: false,
    });
  }
  try {
    const blob = new Blob([new Uint8Array(bytes)], { type: source.contentType });
    const file = (await opts.client.files.create(blob, { jobkitKey: source.key }, { signal: opts.signal })) as { urls?: { get?: unknown } };
    const get = file.urls?.get;
    if (typeof get !== 'string') throw new JobkitError(opts.step, 'Replicate Files API returned no URL for the upload', { retryable: true });
    return get;
  } catch (err) {
    throw toJobkitError(err, { step: opts.step, action: `uploading ${source.key}`, signal: opts.signal, now: opts.now() });
  }
}
