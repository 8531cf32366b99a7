/**
 * SigV4 verification for the test S3 server, the way S3 does it: the signature is recomputed with
 * `@smithy/signature-v4` (the signer the AWS SDK itself uses) from the secret of the access key named in
 * the request, for both Authorization-header requests and presigned query URLs, plus the checks around it
 * (credential scope, clock skew, expiry, payload hash).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { SignatureV4 } from '@smithy/signature-v4';

export interface IncomingSignedRequest {
  method: string;
  /** Path and query exactly as received (still percent-encoded). */
  rawUrl: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type Verdict = { ok: true; accessKeyId: string } | { ok: false; status: number; code: string; message: string };

export interface VerifierOptions {
  region: string;
  secretFor(accessKeyId: string): string | undefined;
  now?: () => Date;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_SKEW_MS = 15 * 60_000;
const MAX_EXPIRES_SEC = 7 * 24 * 3600;

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

/** The HashConstructor shape the signer expects, on node:crypto. */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

const deny = (status: number, code: string, message: string): Verdict => ({ ok: false, status, code, message });

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** 20260301T100000Z → Date, or null. */
function parseAmzDate(s: string | undefined): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s ?? '');
  if (!m) return null;
  const [, y, mo, d, h, mi, se] = m.map(Number) as [number, number, number, number, number, number, number];
  return new Date(Date.UTC(y, mo - 1, d, h, mi, se));
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

interface Parsed {
  accessKeyId: string;
  scope: { date: string; region: string; service: string; terminal: string };
  amzDate: string;
  signedHeaders: string[];
  signature: string;
}

function parseCredential(credential: string): Pick<Parsed, 'accessKeyId' | 'scope'> | null {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) return null;
  const [accessKeyId, date, region, service, terminal] = parts as [string, string, string, string, string];
  return { accessKeyId, scope: { date, region, service, terminal } };
}

function checkScope(p: Parsed, region: string): Verdict | null {
  if (p.scope.terminal !== 'aws4_request' || p.scope.service !== 's3')
    return deny(403, 'SignatureDoesNotMatch', 'credential scope must end in s3/aws4_request');
  if (p.scope.date !== p.amzDate.slice(0, 8)) return deny(403, 'SignatureDoesNotMatch', 'credential scope date does not match X-Amz-Date');
  if (p.scope.region !== region) return deny(400, 'AuthorizationHeaderMalformed', `the region '${p.scope.region}' is wrong; expecting '${region}'`);
  return null;
}

/** Splits "path?query" into the raw path and a query record (values decoded, repeated keys as arrays). */
function splitUrl(rawUrl: string): { path: string; query: Record<string, string | string[]> } {
  const i = rawUrl.indexOf('?');
  const path = i < 0 ? rawUrl : rawUrl.slice(0, i);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(i < 0 ? '' : rawUrl.slice(i + 1))) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return { path, query };
}

function signedHeaderValues(req: IncomingSignedRequest, names: string[]): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const name of names) {
    const v = header(req.headers, name);
    if (v === undefined) return null;
    out[name] = v;
  }
  return out;
}

export async function verifySigV4(req: IncomingSignedRequest, opts: VerifierOptions): Promise<Verdict> {
  const now = (opts.now ?? (() => new Date()))();
  const { path, query } = splitUrl(req.rawUrl);
  const auth = header(req.headers, 'authorization');
  const presigned = query['X-Amz-Algorithm'] !== undefined;
  if (auth && presigned) return deny(400, 'InvalidArgument', 'only one auth mechanism allowed');
  if (!auth && !presigned) return deny(403, 'AccessDenied', 'anonymous access is not allowed');

  let parsed: Parsed;
  let expiresSec = 0;
  if (auth) {
    const m = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(auth.trim());
    const cred = m && parseCredential(m[1]!);
    if (!m || !cred) return deny(400, 'AuthorizationHeaderMalformed', 'the authorization header is malformed');
    const amzDate = header(req.headers, 'x-amz-date');
    if (!amzDate) return deny(403, 'AccessDenied', 'AWS authentication requires a valid X-Amz-Date header');
    parsed = { ...cred, amzDate, signedHeaders: m[2]!.split(';'), signature: m[3]! };
  } else {
    const get = (k: string): string | undefined => (typeof query[k] === 'string' ? (query[k] as string) : undefined);
    const [algorithm, credential, amzDate, expires, signedHeaders, signature] = [
      'X-Amz-Algorithm',
      'X-Amz-Credential',
      'X-Amz-Date',
      'X-Amz-Expires',
      'X-Amz-SignedHeaders',
      'X-Amz-Signature',
    ].map(get);
    if (algorithm !== ALGORITHM) return deny(400, 'AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports AWS4-HMAC-SHA256');
    const cred = credential ? parseCredential(credential) : null;
    if (!cred || !amzDate || !expires || !signedHeaders || !signature || !/^[0-9a-f]{64}$/.test(signature)) {
      return deny(
        400,
        'AuthorizationQueryParametersError',
        'query-string authentication requires X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature',
      );
    }
    if (!/^\d+$/.test(expires) || Number(expires) < 1 || Number(expires) > MAX_EXPIRES_SEC) {
      return deny(400, 'AuthorizationQueryParametersError', 'X-Amz-Expires must be 1 … 604800 seconds');
    }
    expiresSec = Number(expires);
    parsed = { ...cred, amzDate, signedHeaders: signedHeaders.split(';'), signature };
  }

  const secret = opts.secretFor(parsed.accessKeyId);
  if (secret === undefined) return deny(403, 'InvalidAccessKeyId', 'the AWS access key id you provided does not exist in our records');
  const scopeProblem = checkScope(parsed, opts.region);
  if (scopeProblem) return scopeProblem;
  const signingDate = parseAmzDate(parsed.amzDate);
  if (!signingDate) return deny(403, 'AccessDenied', 'X-Amz-Date must be yyyyMMddTHHmmssZ');
  if (!parsed.signedHeaders.includes('host')) return deny(403, 'AccessDenied', 'the host header must be signed');
  const headers = signedHeaderValues(req, parsed.signedHeaders);
  if (!headers) return deny(403, 'SignatureDoesNotMatch', 'a signed header is missing from the request');

  if (presigned) {
    if (now.getTime() < signingDate.getTime() - MAX_SKEW_MS) return deny(403, 'AccessDenied', 'request is not valid yet');
    if (now.getTime() > signingDate.getTime() + expiresSec * 1000) return deny(403, 'AccessDenied', 'Request has expired');
  } else {
    if (Math.abs(now.getTime() - signingDate.getTime()) > MAX_SKEW_MS)
      return deny(403, 'RequestTimeTooSkewed', 'the difference between the request time and the current time is too large');
    const declared = header(req.headers, 'x-amz-content-sha256');
    if (!declared) return deny(400, 'InvalidRequest', 'missing required header x-amz-content-sha256');
    if (/^[0-9a-f]{64}$/.test(declared)) {
      if (declared !== createHash('sha256').update(req.body).digest('hex')) {
        return deny(400, 'XAmzContentSHA256Mismatch', 'the provided x-amz-content-sha256 header does not match what was computed');
      }
    } else if (declared !== 'UNSIGNED-PAYLOAD') {
      return deny(501, 'NotImplemented', `this test server does not support x-amz-content-sha256=${declared}`);
    }
  }

  const signer = new SignatureV4({
    credentials: { accessKeyId: parsed.accessKeyId, secretAccessKey: secret },
    region: opts.region,
    service: 's3',
    sha256: NodeSha256,
    uriEscapePath: false, // S3 signs the path as sent, without double encoding
    applyChecksum: false,
  });
  const signable = new Set(parsed.signedHeaders);
  const base = { method: req.method, protocol: 'http:', hostname: '127.0.0.1', path };

  let expected: string | undefined;
  let expectedSignedHeaders: string | undefined;
  if (presigned) {
    const rest = { ...query };
    for (const k of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token'])
      delete rest[k];
    // Presigned payloads are always UNSIGNED-PAYLOAD on S3. The SDK hoists that header into the query; put it
    // back as a header so the signer hoists it again and uses it as the payload hash.
    const hoistedHash = rest['X-Amz-Content-Sha256'];
    delete rest['X-Amz-Content-Sha256'];
    const out = await signer.presign(
      {
        ...base,
        query: rest,
        headers: { ...headers, ...(typeof hoistedHash === 'string' ? { 'X-Amz-Content-Sha256': hoistedHash } : {}) },
        // A non-buffer body makes the signer fall back to UNSIGNED-PAYLOAD when no hash is hoisted.
        body: typeof hoistedHash === 'string' ? undefined : Readable.from([]),
      },
      {
        signingDate,
        expiresIn: expiresSec,
        signableHeaders: signable,
        // Signed x-amz-* headers (e.g. SSE) stay headers, as on the uploader's side.
        unhoistableHeaders: new Set(parsed.signedHeaders.filter((h) => h.startsWith('x-amz-'))),
      },
    );
    expected = String(out.query?.['X-Amz-Signature']);
    expectedSignedHeaders = String(out.query?.['X-Amz-SignedHeaders']);
  } else {
    const out = await signer.sign({ ...base, query, headers, body: req.body }, { signingDate, signableHeaders: signable });
    const m = /SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(String(out.headers.authorization));
    expectedSignedHeaders = m?.[1];
    expected = m?.[2];
  }
  if (!expected || expectedSignedHeaders !== parsed.signedHeaders.join(';') || !sameHex(expected, parsed.signature)) {
    return deny(403, 'SignatureDoesNotMatch', 'the request signature we calculated does not match the signature you provided');
  }
  return { ok: true, accessKeyId: parsed.accessKeyId };
}
