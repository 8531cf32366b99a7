/**
 * toNodeHandler: a jobkit handler as a `(req, res)` listener for node:http / node:https / http2 (compat
 * API) servers, and anything else that takes one (connect, Fastify's `raw` routes…). For handlers of this
 * package it feeds the core a request record straight from the IncomingMessage (no WHATWG objects on the
 * hot path); any other web-standard handler gets a `Request` built for it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { readNodeStream } from './body.js';
import type { BodySource, JobkitRequest, JobkitResponse, RequestHeaders } from './exchange.js';
import { coreOf, relativePath } from './fetch.js';

export type NodeListener = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

export interface NodeRecordOptions {
  /** Mount path; the request URL is taken relative to it. */
  base: string;
  /** The URL relative to the mount point (default `req.url` with `base` removed). */
  url?: string;
  ip?: string;
  secure?: boolean;
  body?: BodySource;
}

/** A request record for an IncomingMessage. */
export function nodeRecord(req: IncomingMessage, o: NodeRecordOptions): JobkitRequest {
  const url = o.url ?? req.url ?? '/';
  const q = url.indexOf('?');
  const pathname = q === -1 ? url : url.slice(0, q);
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path: o.url !== undefined ? pathname || '/' : relativePath(pathname, o.base),
    query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)),
    // Node lower-cases names and joins repeated headers (set-cookie, the only array, is not a request header).
    headers: req.headers as RequestHeaders,
    body: o.body ?? { read: (limit) => readNodeStream(req, limit) },
    base: o.base,
    ip: o.ip ?? req.socket?.remoteAddress ?? 'unknown',
    secure: o.secure ?? (req.socket as TLSSocket | undefined)?.encrypted === true,
  };
}

/** Writes a response record; a body stream that breaks mid-way cuts the connection. */
export function writeNodeResponse(req: IncomingMessage, res: ServerResponse, r: JobkitResponse): void {
  // A request body left unread (refused before reading: 401, 413, 415): close rather than drain it.
  const unread = !req.readableEnded && (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0);
  if (unread) res.setHeader('connection', 'close');
  res.writeHead(r.status, r.headers);
  const head = req.method === 'HEAD';
  if (r.body instanceof Readable) {
    if (head) {
      r.body.destroy();
      res.end();
      return;
    }
    const body = r.body;
    body.once('error', () => res.destroy());
    res.once('close', () => body.destroy());
    body.pipe(res);
    return;
  }
  if (head || r.body === null) res.end();
  else res.end(r.body);
}

async function viaRequest(handler: (request: Request) => Promise<Response>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const host = req.headers.host ?? 'localhost';
  const secure = (req.socket as TLSSocket | undefined)?.encrypted === true;
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':')) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const request = new Request(`${secure ? 'https' : 'http'}://${host}${req.url ?? '/'}`, {
    method: req.method ?? 'GET',
    headers,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
  } as RequestInit);
  const response = await handler(request);
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') out[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) out['set-cookie'] = cookies;
  writeNodeResponse(req, res, {
    status: response.status,
    headers: out,
    body: response.body ? Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>) : null,
  });
}

/**
 * `(req, res)` for node:http and friends. A handler of this package answers its own 404s; when mounted in a
 * middleware chain that passes `next`, unmatched requests go on to `next()` instead.
 */
export function toNodeHandler(handler: (request: Request) => Promise<Response>): NodeListener {
  const attached = coreOf(handler);
  if (!attached) {
    return (req, res, next) => {
      viaRequest(handler, req, res).catch((e: unknown) => (next ? next(e) : res.destroy(e instanceof Error ? e : undefined)));
    };
  }
  const { core, base } = attached;
  return (req, res, next) => {
    const record = nodeRecord(req, { base });
    core
      .dispatch(record)
      .then((r) => {
        if (r === null && next) return next();
        writeNodeResponse(req, res, r ?? core.notFound(record));
      })
      .catch((e: unknown) => (next ? next(e) : res.destroy(e instanceof Error ? e : undefined)));
  };
}
