/**
 * Sends bytes to a staged upload target from `stagedUploadsCreate`. POST targets are a signed HTML form
 * (every parameter as a form field, in the given order, the file last — storage rejects a file before the
 * policy fields); PUT targets are a signed URL with the parameters as request headers.
 */
import { JobkitError } from 'jobkit';
import type { StagedTarget } from './operations.js';
import { cancelled } from './cancelled.js';

export type UploadFetch = (url: string, init: RequestInit) => Promise<Response>;

// Shopify names some PUT parameters after their form field; these are the header names storage expects.
const PUT_HEADER_NAMES: Record<string, string> = { content_type: 'Content-Type', acl: 'x-goog-acl' };

export async function uploadToStagedTarget(
  target: StagedTarget,
  method: 'POST' | 'PUT',
  file: { bytes: Buffer; filename: string; contentType: string },
  opts: { fetch: UploadFetch; signal: AbortSignal },
): Promise<void> {
  // A copy typed as a plain ArrayBuffer view: what Blob and fetch bodies accept.
  const body = new Uint8Array(file.bytes);
  let init: RequestInit;
  if (method === 'POST') {
    const form = new FormData();
    for (const p of target.parameters) form.append(p.name, p.value);
    form.append('file', new Blob([body], { type: file.contentType }), file.filename);
    init = { method: 'POST', body: form, signal: opts.signal };
  } else {
    const headers = new Headers();
    for (const p of target.parameters) headers.set(PUT_HEADER_NAMES[p.name] ?? p.name, p.value);
    if (!headers.has('content-type')) headers.set('content-type', file.contentType);
    init = { method: 'PUT', body, headers, signal: opts.signal };
  }

  let res: Response;
  try {
    res = await opts.fetch(target.url, init);
  } catch (err) {
    if (opts.signal.aborted) throw cancelled(opts.signal);
    throw new JobkitError('STOREFRONT_FAILED', `staged upload of ${file.filename} failed: ${(err as Error).message}`, {
      retryable: true,
      cause: err,
    });
  }
  if (res.ok) {
    await res.body?.cancel();
    return;
  }
  const text = (await res.text().catch(() => '')).slice(0, 500);
  // 5xx/408/429 are transient. A 4xx (policy, size, signature) is a problem with this request that sending
  // it again will not fix; an operator retry of the job asks for fresh targets.
  const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
  throw new JobkitError('STOREFRONT_FAILED', `staged upload of ${file.filename} failed: HTTP ${res.status}`, {
    retryable,
    details: { httpStatus: res.status, body: text },
  });
}
