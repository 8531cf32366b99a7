/**
 * A real S3-compatible server for tests, listening on 127.0.0.1 (ephemeral ports, a temp dir, fresh random
 * credentials), that verifies SigV4 the way S3 does.
 *
 *   client ──► SigV4 verifying proxy (sigv4-verifier.ts) ──► @20minutes/s3rver (storage, S3 XML API)
 *
 * Why the proxy: s3rver 4.0.x checks signatures itself, but its canonical request drops the trailing slash of
 * bucket-level paths (`HEAD /bucket/` → false SignatureDoesNotMatch for HeadBucket/ListObjects) and it never
 * compares x-amz-content-sha256 with the body. So s3rver runs with `allowMismatchedSignatures` and the proxy
 * in front recomputes every signature with `@smithy/signature-v4`: Authorization headers and presigned
 * query URLs, credential scope, clock skew, expiry and payload hash. Wrong secrets, tampered and expired URLs
 * get a 403 S3 error document. Like S3, it also checks a PUT's `x-amz-checksum-sha256` (header, or hoisted into
 * a presigned URL's query) against the body: 400 InvalidRequest for a malformed value, 400 BadDigest for other
 * bytes (s3rver ignores flexible checksums). Other checksum algorithms are not verified here.
 *
 * Not published (outside src/). Other packages' tests import it by relative path:
 *   import { startS3TestServer } from '../../adapter-s3/test/support/s3-server.js';
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { verifySigV4 } from './sigv4-verifier.js';

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverConstructor = new (opts: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  allowMismatchedSignatures: boolean;
  vhostBuckets: boolean;
  configureBuckets: Array<{ name: string }>;
}) => S3rverInstance;
interface AccountConstructor {
  new (id: number, displayName: string): { createKeyPair(id: string, secret: string): void; revokeAccessKey(id: string): void };
}

// s3rver is CommonJS without types. It still resolves the access key id in its own account registry.
const require = createRequire(import.meta.url);
const S3rver = require('@20minutes/s3rver') as S3rverConstructor;
const AWSAccount = require('@20minutes/s3rver/lib/models/account') as AccountConstructor;

export interface S3TestServer {
  /** e.g. http://127.0.0.1:41234 (path-style addressing only). */
  endpoint: string;
  /** A bucket created empty for this server. */
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Ready for `createS3ObjectStore({ bucket, clientConfig })` or `new S3Client(clientConfig)`. */
  clientConfig: S3ClientConfig & { endpoint: string; region: string };
  /** Requests the proxy refused so far (code and URL path), for assertions and debugging. */
  rejected: Array<{ code: string; method: string; path: string }>;
  close(): Promise<void>;
}

export interface S3TestServerOptions {
  /** Extra buckets to create besides the default one. */
  extraBuckets?: string[];
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'expect', 'upgrade', 'proxy-connection', 'te', 'trailer']);
let counter = 0;

function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sendError(res: ServerResponse, method: string, status: number, code: string, message: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>${randomBytes(8).toString('hex')}</RequestId></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(method === 'HEAD' ? undefined : body);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** S3's flexible-checksum check for SHA-256 (Checking object integrity, S3 user guide); null when it passes. */
function checksumProblem(method: string, rawUrl: string, req: IncomingMessage, body: Buffer): { code: string; message: string } | null {
  if (method !== 'PUT') return null;
  const header = req.headers['x-amz-checksum-sha256'];
  const hoisted = new URLSearchParams(rawUrl.split('?')[1] ?? '').get('x-amz-checksum-sha256');
  const declared = (Array.isArray(header) ? header.join(',') : header) ?? hoisted ?? undefined;
  if (declared === undefined) return null;
  if (!/^[A-Za-z0-9+/]{43}=$/.test(declared)) return { code: 'InvalidRequest', message: 'Value for x-amz-checksum-sha256 header is invalid.' };
  if (declared !== createHash('sha256').update(body).digest('base64'))
    return { code: 'BadDigest', message: 'The SHA256 you specified did not match the calculated checksum.' };
  return null;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startS3TestServer(opts: S3TestServerOptions = {}): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'jobkit-s3-'));
  const id = ++counter;
  const bucket = `jobkit-test-${process.pid}-${id}`;
  const region = 'us-east-1';
  // Unique per server: s3rver's registry is process-wide.
  const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(30).toString('base64url');
  const account = new AWSAccount(100_000_000_000 + id, `jobkit-test-${id}`);
  account.createKeyPair(accessKeyId, secretAccessKey);

  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    allowMismatchedSignatures: true, // the proxy verifies; see the header comment
    vhostBuckets: false,
    configureBuckets: [bucket, ...(opts.extraBuckets ?? [])].map((name) => ({ name })),
  });
  const rejected: S3TestServer['rejected'] = [];
  const proxy = createServer((req, res) => {
    void (async () => {
      const method = req.method ?? 'GET';
      const rawUrl = req.url ?? '/';
      const body = await readBody(req);
      const verdict = await verifySigV4(
        { method, rawUrl, headers: req.headers, body },
        { region, secretFor: (k) => (k === accessKeyId ? secretAccessKey : undefined) },
      );
      if (!verdict.ok) {
        rejected.push({ code: verdict.code, method, path: rawUrl.split('?')[0]! });
        sendError(res, method, verdict.status, verdict.code, verdict.message);
        return;
      }
      const checksum = checksumProblem(method, rawUrl, req, body);
      if (checksum) {
        rejected.push({ code: checksum.code, method, path: rawUrl.split('?')[0]! });
        sendError(res, method, 400, checksum.code, checksum.message);
        return;
      }
      const headers: OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
      headers['content-length'] = body.length;
      const upstream = httpRequest({ host: '127.0.0.1', port: upstreamPort, method, path: rawUrl, headers }, (up) => {
        const out: OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(up.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
        res.writeHead(up.statusCode ?? 502, out);
        up.pipe(res);
      });
      upstream.on('error', (e) => {
        if (!res.headersSent) sendError(res, method, 502, 'BadGateway', e.message);
        else res.destroy(e);
      });
      upstream.end(body);
    })().catch((e: unknown) => {
      if (!res.headersSent) sendError(res, req.method ?? 'GET', 500, 'InternalError', String(e));
      else res.destroy();
    });
  });

  let upstreamPort: number;
  let port: number;
  try {
    ({ port: upstreamPort } = await s3rver.run());
    port = await listen(proxy);
  } catch (e) {
    proxy.close();
    await s3rver.close().catch(() => undefined);
    account.revokeAccessKey(accessKeyId);
    await rm(directory, { recursive: true, force: true });
    throw e;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  let closed = false;

  return {
    endpoint,
    bucket,
    region,
    accessKeyId,
    secretAccessKey,
    clientConfig: { endpoint, region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } },
    rejected,
    async close() {
      if (closed) return;
      closed = true;
      const proxyClosed = new Promise<void>((resolve) => proxy.close(() => resolve()));
      proxy.closeAllConnections();
      await proxyClosed;
      const upstreamClosed = s3rver.close();
      s3rver.httpServer?.closeAllConnections();
      await upstreamClosed;
      account.revokeAccessKey(accessKeyId);
      await rm(directory, { recursive: true, force: true });
    },
  };
}
