/**
 * The web-standard entry: `Request` → request record → route → response record → `Response`. Also the
 * link between a handler function and its core, which the Node and Express transports call directly.
 */
import { Readable } from 'node:stream';
import { readRequestBody } from './body.js';
import type { JobkitRequest, JobkitResponse } from './exchange.js';
import type { RequestEntryOptions } from './options.js';

/** What every transport calls: answers a request record. */
export interface JobkitCore {
  /** The response, or null when no route matches (the caller answers 404 or passes the request on). */
  dispatch(req: JobkitRequest): Promise<JobkitResponse | null>;
  /** The 404 of this handler. */
  notFound(req: JobkitRequest): JobkitResponse;
}

const CORE = Symbol.for('jobkit.http.core');

/** A core and where its handler is mounted. */
export interface AttachedCore {
  core: JobkitCore;
  /** The normalised basePath ("" or "/api"). */
  base: string;
}

/** A web-standard request handler (Hono's `app.mount`, Next.js route handlers, Bun, Deno, workers…). */
export type JobkitHandler = ((request: Request, ...platform: unknown[]) => Promise<Response>) & { readonly [CORE]: AttachedCore };

/** The core behind a handler made by this package, or null for any other `(Request) => Response` function. */
export function coreOf(handler: (request: Request) => Promise<Response>): AttachedCore | null {
  return (handler as Partial<JobkitHandler>)[CORE] ?? null;
}

function normaliseBase(basePath: string | undefined): string {
  if (basePath === undefined || basePath === '' || basePath === '/') return '';
  if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(basePath)) throw new TypeError(`basePath must be a path starting with "/", got ${JSON.stringify(basePath)}`);
  return basePath.replace(/\/+$/, '');
}

/** The path relative to `base`: stripped when the request still carries it, else as it is. */
export function relativePath(pathname: string, base: string): string {
  if (base === '') return pathname || '/';
  if (pathname === base) return '/';
  return pathname.startsWith(`${base}/`) ? pathname.slice(base.length) : pathname || '/';
}

/** A declared length wins (a server-built Request may carry an empty stream for `content-length: 0`). */
function hasBody(request: Request, headers: Record<string, string>): boolean {
  if (headers['content-length'] !== undefined) return Number(headers['content-length']) > 0;
  return headers['transfer-encoding'] !== undefined || request.body !== null;
}

export function attachCore(core: JobkitCore, opts: RequestEntryOptions): JobkitHandler {
  const base = normaliseBase(opts.basePath);
  const clientAddress = opts.clientAddress;
  const handler = async (request: Request, ...platform: unknown[]): Promise<Response> => {
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const record: JobkitRequest = {
      method: request.method.toUpperCase(),
      path: relativePath(url.pathname, base),
      query: url.searchParams,
      headers,
      body: { present: hasBody(request, headers), read: (limit) => readRequestBody(request, limit) },
      base,
      ip: clientAddress?.(request, ...platform) ?? 'unknown',
      secure: url.protocol === 'https:',
    };
    const res = (await core.dispatch(record)) ?? core.notFound(record);
    return toResponse(res, record.method === 'HEAD');
  };
  const attached: AttachedCore = { core, base };
  return Object.defineProperty(handler, CORE, { value: attached, enumerable: false }) as JobkitHandler;
}

function toResponse(res: JobkitResponse, head: boolean): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  let body: BodyInit | null = null;
  if (head || res.body === null || res.status === 204 || res.status === 304) {
    if (res.body instanceof Readable) res.body.destroy();
  } else if (res.body instanceof Readable) {
    body = Readable.toWeb(res.body) as ReadableStream<Uint8Array>;
  } else {
    body = res.body as string | Uint8Array<ArrayBuffer>;
  }
  return new Response(body, { status: res.status, headers });
}
