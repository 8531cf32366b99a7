/**
 * Webhook signature verification on the raw body bytes only (never a re-serialised object).
 *
 * Schemes:
 * - `hmac-sha256`: hex or base64 digest, optional `sha256=` prefix — the seed's x-3jms-signature /
 *   x-webhook-signature, GitHub's X-Hub-Signature-256, Shopify's X-Shopify-Hmac-Sha256. Optionally with a
 *   timestamp header, which is then both signed (`{timestamp}.{body}`) and checked against the tolerance.
 * - `standard-webhooks`: webhook-id / webhook-timestamp / webhook-signature (`v1,<base64>` entries separated
 *   by spaces), `whsec_` secrets base64-decoded, ±5 min tolerance.
 * Several secrets may be given at once (rotation); all comparisons are constant-time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { JobkitError } from '../errors.js';

export type SignatureFailureReason =
  | 'missing_header'
  | 'malformed_header'
  | 'mismatch'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'no_secret'
  | 'body_not_raw';

export type WebhookHeaders = Record<string, string | string[] | undefined> | Headers;

export interface HmacSchemeOptions {
  scheme: 'hmac-sha256';
  /** Header names to look for, first present wins (case-insensitive). */
  headers?: readonly string[];
  /** Optional timestamp header (unix seconds); when set, the signed content is `{timestamp}.{body}`. */
  timestampHeader?: string;
}
export interface StandardWebhooksOptions {
  scheme: 'standard-webhooks';
}
export type WebhookScheme = HmacSchemeOptions | StandardWebhooksOptions;

export interface VerifyWebhookOptions {
  /** The raw request body: exactly the bytes that were received. */
  body: Uint8Array | string;
  headers: WebhookHeaders;
  /** One secret or several (rotation). Standard Webhooks secrets may carry the `whsec_` prefix. */
  secrets: string | readonly string[];
  scheme?: WebhookScheme;
  /** Allowed clock skew, seconds (default 300). */
  toleranceSec?: number;
  now?: Date;
}

export interface VerifiedWebhook {
  /** Index of the secret that matched (useful to log rotation progress). */
  secretIndex: number;
  /** Standard Webhooks message id (for de-duplication), when present. */
  id?: string;
  timestamp?: number;
}

export const DEFAULT_HMAC_HEADERS = ['x-3jms-signature', 'x-webhook-signature', 'x-hub-signature-256', 'x-shopify-hmac-sha256'];

function fail(reason: SignatureFailureReason, message: string): JobkitError {
  return new JobkitError('SIGNATURE_INVALID', message, { details: { reason } });
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof Headers !== 'undefined' && headers instanceof Headers) return headers.get(name) ?? undefined;
  const h = headers as Record<string, string | string[] | undefined>;
  const lower = name.toLowerCase();
  for (const key of Object.keys(h)) {
    if (key.toLowerCase() === lower) {
      const v = h[key];
      return Array.isArray(v) ? v[0] : v;
    }
  }
  return undefined;
}

function rawBytes(body: unknown): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw fail('body_not_raw', 'webhook verification needs the raw body bytes (Buffer or string), not a parsed object');
}

function secretList(secrets: string | readonly string[]): string[] {
  const list = (typeof secrets === 'string' ? [secrets] : [...secrets]).filter((s) => typeof s === 'string' && s.length > 0);
  if (list.length === 0) throw fail('no_secret', 'no webhook secret configured');
  return list;
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  // timingSafeEqual needs equal lengths; comparing against itself keeps the time independent of the match.
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/**
 * Decodes a Standard Webhooks secret to key bytes: the base64 after a `whsec_` prefix, and a secret without
 * the prefix is base64 too (the spec's secrets are base64 either way; the official libraries decode both alike).
 */
export function decodeStandardSecret(secret: string): Buffer {
  if (secret.startsWith('whsec_')) return Buffer.from(secret.slice(6), 'base64');
  return Buffer.from(secret, 'base64');
}

function checkTimestamp(raw: string | undefined, toleranceSec: number, now: Date): number {
  if (raw === undefined) throw fail('missing_header', 'missing timestamp header');
  if (!/^\d{1,12}$/.test(raw.trim())) throw fail('malformed_header', 'timestamp header is not unix seconds');
  const ts = Number(raw.trim());
  const nowSec = Math.floor(now.getTime() / 1000);
  if (ts < nowSec - toleranceSec) throw fail('timestamp_too_old', `webhook timestamp is older than ${toleranceSec}s`);
  if (ts > nowSec + toleranceSec) throw fail('timestamp_too_new', `webhook timestamp is more than ${toleranceSec}s in the future`);
  return ts;
}

/** Parses an HMAC digest header: hex (64 chars) or base64 (44 chars), optionally prefixed with `sha256=`. */
function parseHmacDigest(value: string): Buffer | null {
  let v = value.trim();
  if (v.toLowerCase().startsWith('sha256=')) v = v.slice(7);
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Buffer.from(v, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(v)) return Buffer.from(v, 'base64');
  if (/^[A-Za-z0-9_-]{43}$/.test(v)) return Buffer.from(v, 'base64url');
  return null;
}

/** Verifies a webhook; returns details on success and throws SIGNATURE_INVALID (with a reason) otherwise. */
export function verifyWebhook(opts: VerifyWebhookOptions): VerifiedWebhook {
  const body = rawBytes(opts.body);
  const secrets = secretList(opts.secrets);
  const scheme = opts.scheme ?? { scheme: 'hmac-sha256' };
  const tolerance = opts.toleranceSec ?? 300;
  const now = opts.now ?? new Date();

  if (scheme.scheme === 'standard-webhooks') {
    const id = header(opts.headers, 'webhook-id');
    const ts = header(opts.headers, 'webhook-timestamp');
    const sig = header(opts.headers, 'webhook-signature');
    if (!id || ts === undefined || !sig) throw fail('missing_header', 'missing webhook-id, webhook-timestamp or webhook-signature header');
    const timestamp = checkTimestamp(ts, tolerance, now);
    const entries = sig
      .split(' ')
      .filter(Boolean)
      .map((e) => e.split(','));
    const v1 = entries.filter((e) => e.length === 2 && e[0] === 'v1').map((e) => Buffer.from(e[1]!, 'base64'));
    if (v1.length === 0) throw fail('malformed_header', 'webhook-signature has no v1 entry');
    const content = Buffer.concat([Buffer.from(`${id}.${ts.trim()}.`, 'utf8'), body]);
    for (const [i, secret] of secrets.entries()) {
      const expected = createHmac('sha256', decodeStandardSecret(secret)).update(content).digest();
      // Check every entry so the time does not depend on which one matched.
      let ok = false;
      for (const candidate of v1) ok = safeEqual(expected, candidate) || ok;
      if (ok) return { secretIndex: i, id, timestamp };
    }
    throw fail('mismatch', 'webhook signature does not match');
  }

  const names = scheme.headers ?? DEFAULT_HMAC_HEADERS;
  let value: string | undefined;
  for (const name of names) {
    value = header(opts.headers, name);
    if (value !== undefined) break;
  }
  if (value === undefined || value.trim() === '') throw fail('missing_header', `missing signature header (${names.join(' or ')})`);
  const digest = parseHmacDigest(value);
  if (!digest) throw fail('malformed_header', 'signature header is not a hex or base64 SHA-256 digest');
  let content = body;
  let timestamp: number | undefined;
  if (scheme.timestampHeader) {
    const raw = header(opts.headers, scheme.timestampHeader);
    timestamp = checkTimestamp(raw, tolerance, now);
    content = Buffer.concat([Buffer.from(`${raw!.trim()}.`, 'utf8'), body]);
  }
  let matched = -1;
  for (const [i, secret] of secrets.entries()) {
    const expected = createHmac('sha256', secret).update(content).digest();
    if (safeEqual(expected, digest) && matched === -1) matched = i;
  }
  if (matched === -1) throw fail('mismatch', 'webhook signature does not match');
  return { secretIndex: matched, ...(timestamp !== undefined ? { timestamp } : {}) };
}

export interface SignWebhookOptions {
  body: Uint8Array | string;
  secret: string;
  scheme?: WebhookScheme;
  /** hex (default) or base64, for hmac-sha256. */
  encoding?: 'hex' | 'base64';
  /** Add the `sha256=` prefix (hmac-sha256). */
  prefix?: boolean;
  /** Standard Webhooks message id (default a random one). */
  id?: string;
  now?: Date;
}

/** Signs a body the way `verifyWebhook` checks it; returns the headers to send. */
export function signWebhook(opts: SignWebhookOptions): Record<string, string> {
  const body = rawBytes(opts.body);
  const scheme = opts.scheme ?? { scheme: 'hmac-sha256' };
  const ts = String(Math.floor((opts.now ?? new Date()).getTime() / 1000));
  if (scheme.scheme === 'standard-webhooks') {
    const id = opts.id ?? `msg_${Math.random().toString(36).slice(2, 14)}`;
    const sig = createHmac('sha256', decodeStandardSecret(opts.secret))
      .update(Buffer.concat([Buffer.from(`${id}.${ts}.`, 'utf8'), body]))
      .digest('base64');
    return { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${sig}` };
  }
  const content = scheme.timestampHeader ? Buffer.concat([Buffer.from(`${ts}.`, 'utf8'), body]) : body;
  const digest = createHmac('sha256', opts.secret)
    .update(content)
    .digest(opts.encoding ?? 'hex');
  const headers: Record<string, string> = { [(scheme.headers ?? DEFAULT_HMAC_HEADERS)[0]!]: `${opts.prefix ? 'sha256=' : ''}${digest}` };
  if (scheme.timestampHeader) headers[scheme.timestampHeader] = ts;
  return headers;
}
