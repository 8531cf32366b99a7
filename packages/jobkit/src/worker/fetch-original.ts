/**
 * Downloads an original photo from a webhook-supplied URL without opening an SSRF hole:
 * http(s) only, no credentials, every resolved address checked and the socket connected to exactly the
 * address that was checked (a custom `lookup`, so DNS rebinding has no gap), every redirect re-checked,
 * a size cap enforced while streaming, one deadline for the whole download, an accepted image format (the
 * content-type header and the bytes' signature) and the sha256 verified.
 */
import { createHash } from 'node:crypto';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { JobkitError } from '../errors.js';
import {
  IMAGE_CONTENT_TYPES,
  describeImageBytes,
  imageExtensionFor,
  normalizeImageContentType,
  sniffImageType,
  type ImageContentType,
} from '../domain/image-types.js';
import type { ImageExtension } from '../domain/keys.js';
import { assertFetchableUrl } from '../security/url-guard.js';
import { forbiddenAddressReason, hostAllowlisted, type AddressPolicy } from '../security/address-policy.js';

export interface FetchOriginalOptions {
  addressPolicy?: AddressPolicy;
  /** Default 25 MB. */
  maxBytes?: number;
  /** Bound on the whole download — connect, headers, every redirect and the body — default 30 s. */
  timeoutMs?: number;
  maxRedirects?: number;
  signal?: AbortSignal;
  /** DNS resolver (default node:dns lookup); injectable to test the connect-time check. */
  dnsLookup?: typeof dns.lookup;
}

export interface FetchedOriginal {
  bytes: Buffer;
  /** The format the bytes are (from their signature), one of IMAGE_CONTENT_TYPES. */
  contentType: ImageContentType;
  sha256: string;
}

const DEFAULT_MAX_BYTES = 25 * 1024 * 1024;

function guardedLookup(policy: AddressPolicy, host: string, resolver: typeof dns.lookup = dns.lookup): LookupFunction {
  return ((hostname: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void) => {
    resolver(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err);
      const list = addresses as dns.LookupAddress[];
      const allowedHost = hostAllowlisted(host, policy);
      for (const a of list) {
        const reason = allowedHost ? null : forbiddenAddressReason(a.address, policy);
        if (reason) {
          return callback(
            new JobkitError('DOWNLOAD_FAILED', `refusing to fetch from ${hostname}: resolves to a non-public address (${reason})`, {
              retryable: false,
              details: { reason },
            }),
          );
        }
      }
      if (list.length === 0) return callback(new JobkitError('DOWNLOAD_FAILED', `${hostname} did not resolve`));
      if (options.all) return callback(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  }) as unknown as LookupFunction;
}

/** The error for an aborted download: the deadline's PROVIDER_TIMEOUT, or CANCELLED for the caller's signal. */
function abortError(signal: AbortSignal): JobkitError {
  return JobkitError.is(signal.reason, 'PROVIDER_TIMEOUT') ? signal.reason : new JobkitError('CANCELLED', 'download cancelled');
}

interface RequestOptions extends FetchOriginalOptions {
  maxBytes: number;
  /** Aborted by the caller or by the whole-download deadline. */
  signal: AbortSignal;
}

function requestOnce(url: URL, opts: RequestOptions): Promise<{ redirect?: string; result?: FetchedOriginal }> {
  const policy = opts.addressPolicy ?? {};
  const { signal } = opts;
  if (signal.aborted) return Promise.reject(abortError(signal));
  let onAbort: () => void = () => undefined;
  const settled = new Promise<{ redirect?: string; result?: FetchedOriginal }>((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(
      url,
      {
        method: 'GET',
        lookup: guardedLookup(policy, url.hostname, opts.dnsLookup),
        headers: { accept: 'image/*', 'user-agent': 'jobkit/0.1 (+image fetch)' },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          resolve({ redirect: new URL(res.headers.location, url).toString() });
          return;
        }
        if (status !== 200) {
          res.resume();
          const retryable = status === 408 || status === 429 || status >= 500;
          const retryAfter = Number(res.headers['retry-after']);
          reject(
            new JobkitError(status === 429 ? 'RATE_LIMITED' : 'DOWNLOAD_FAILED', `GET ${url.host}${url.pathname} answered ${status}`, {
              retryable,
              ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
              details: { status },
            }),
          );
          return;
        }
        const header = String(res.headers['content-type'] ?? '')
          .split(';')[0]!
          .trim()
          .toLowerCase();
        const declared = normalizeImageContentType(header);
        if (!declared) {
          res.destroy();
          reject(
            new JobkitError('DOWNLOAD_FAILED', `content-type "${header || 'none'}" is not an image format jobkit decodes (${IMAGE_CONTENT_TYPES.join(', ')})`, {
              retryable: false,
              details: { declared: header || null },
            }),
          );
          return;
        }
        const length = Number(res.headers['content-length']);
        if (Number.isFinite(length) && length > opts.maxBytes) {
          res.destroy();
          reject(new JobkitError('PAYLOAD_TOO_LARGE', `image is ${length} bytes; the limit is ${opts.maxBytes}`, { retryable: false }));
          return;
        }
        const hash = createHash('sha256');
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > opts.maxBytes) {
            res.destroy();
            reject(new JobkitError('PAYLOAD_TOO_LARGE', `image exceeds the limit of ${opts.maxBytes} bytes`, { retryable: false }));
            return;
          }
          hash.update(chunk);
          chunks.push(chunk);
        });
        res.on('end', () => {
          const bytes = Buffer.concat(chunks);
          // The decoder goes by the bytes, not the header: refuse what it would not decode (an SVG labelled
          // image/png), and store what it will decode under its real type (a PNG labelled image/jpeg).
          const detected = sniffImageType(bytes);
          if (!detected) {
            const what = describeImageBytes(bytes);
            reject(
              new JobkitError(
                'DOWNLOAD_FAILED',
                `GET ${url.host}${url.pathname}: content-type says ${declared} but the bytes are ${what}, not an image format jobkit decodes`,
                {
                  retryable: false,
                  details: { declared, detected: what },
                },
              ),
            );
            return;
          }
          resolve({ result: { bytes, contentType: detected, sha256: hash.digest('hex') } });
        });
        res.on('error', (e) => reject(JobkitError.from(e, 'DOWNLOAD_FAILED', 'download interrupted')));
      },
    );
    // Abort covers every phase (DNS, connect, headers, body): the response stream dies with the request.
    onAbort = () => {
      const e = abortError(signal);
      reject(e);
      req.destroy(e);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e) => {
      if (JobkitError.is(e)) return reject(e);
      reject(JobkitError.from(e, 'DOWNLOAD_FAILED', `GET ${url.host} failed`));
    });
    req.end();
  });
  return settled.finally(() => signal.removeEventListener('abort', onAbort));
}

/** Fetches `rawUrl` under the SSRF rules and verifies the bytes against `expectedSha256` when given. */
export async function fetchOriginal(rawUrl: string, expectedSha256: string | null, opts: FetchOriginalOptions = {}): Promise<FetchedOriginal> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  // One deadline for the whole download. A per-socket idle timeout would let a server that drips one byte
  // at a time hold a download slot for as long as it likes.
  const deadline = new AbortController();
  const timer = setTimeout(
    () =>
      deadline.abort(new JobkitError('PROVIDER_TIMEOUT', `download of ${hostOf(rawUrl)} did not finish within ${timeoutMs} ms (headers, redirects and body)`)),
    timeoutMs,
  );
  const signal = opts.signal ? AbortSignal.any([deadline.signal, opts.signal]) : deadline.signal;
  try {
    return await fetchWithin(rawUrl, expectedSha256, { ...opts, maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES, signal });
  } finally {
    clearTimeout(timer);
  }
}

function hostOf(raw: string): string {
  try {
    return new URL(raw).host;
  } catch {
    return 'the image URL';
  }
}

async function fetchWithin(rawUrl: string, expectedSha256: string | null, o: RequestOptions): Promise<FetchedOriginal> {
  const maxRedirects = o.maxRedirects ?? 5;
  let current = rawUrl;
  for (let hop = 0; hop <= maxRedirects; hop++) {
    let url: URL;
    try {
      url = assertFetchableUrl(current, o.addressPolicy ?? {}, hop === 0 ? 'imageUrl' : 'redirect');
    } catch (e) {
      throw new JobkitError('DOWNLOAD_FAILED', `refusing to fetch: ${(e as Error).message}`, { retryable: false, cause: e });
    }
    const { redirect, result } = await requestOnce(url, o);
    if (redirect) {
      current = redirect;
      continue;
    }
    if (expectedSha256 && result!.sha256 !== expectedSha256) {
      throw new JobkitError('CHECKSUM_MISMATCH', `downloaded bytes hash to ${result!.sha256}, expected ${expectedSha256}`, {
        details: { expected: expectedSha256, actual: result!.sha256 },
      });
    }
    return result!;
  }
  throw new JobkitError('DOWNLOAD_FAILED', `too many redirects (more than ${maxRedirects})`, { retryable: false });
}

/** File extension for an image content type (originals are stored as originals/{sku}/{sha256}.{ext}); 'jpg' when unknown. */
export function extensionForContentType(contentType: string): ImageExtension {
  const type = normalizeImageContentType(contentType);
  return type ? imageExtensionFor(type) : 'jpg';
}
