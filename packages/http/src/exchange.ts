/**
 * The plain request/response records every route works on. Transports (the web-standard `Request` entry,
 * `toNodeHandler`, the Express wrapper) translate to and from them, so no route ever sees a framework
 * object and a Node server never has to build WHATWG objects on the hot path.
 */
import type { Readable } from 'node:stream';

/** Lower-case header names; repeated headers joined with ", " (set-cookie is never a request header). */
export type RequestHeaders = Readonly<Record<string, string | undefined>>;

/** Where the request body comes from. Read at most once. */
export interface BodySource {
  /** The raw bytes; PAYLOAD_TOO_LARGE as soon as more than `limit` bytes arrive. */
  read(limit: number): Promise<Buffer>;
  /** Whether there is a body at all, when the transport knows (else Content-Length / Transfer-Encoding tell). */
  readonly present?: boolean;
  /**
   * A body a framework already parsed (e.g. `express.json()` in front of the router) and whose raw bytes
   * were not kept. JSON routes use it as is; signed routes cannot (see `webhook.ts`).
   */
  readonly parsed?: { value: unknown; parser: string };
}

export interface JobkitRequest {
  /** Upper-case. */
  method: string;
  /** Path relative to the mount point, still percent-encoded, always starting with "/". */
  path: string;
  query: URLSearchParams;
  headers: RequestHeaders;
  body: BodySource;
  /** Public path the handler is mounted at ("" or e.g. "/api"): links and cookie paths are built on it. */
  base: string;
  /** The client's address as the transport knows it (see the `clientAddress` option). */
  ip: string;
  /** Whether the client's connection is https (as the transport knows it). */
  secure: boolean;
}

export type ResponseBody = string | Uint8Array | Readable | null;

export interface JobkitResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string | string[]>;
  body: ResponseBody;
}

export function jsonResponse(status: number, value: unknown, headers: Record<string, string | string[]> = {}): JobkitResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value) };
}

export function htmlResponse(status: number, html: string, headers: Record<string, string | string[]> = {}): JobkitResponse {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8', ...headers }, body: html };
}

export function redirect(location: string, headers: Record<string, string | string[]> = {}): JobkitResponse {
  return { status: 303, headers: { location, ...headers }, body: null };
}

/** Adds `defaults` under the response's own headers (a route's header wins). */
export function withDefaultHeaders(res: JobkitResponse, defaults: Readonly<Record<string, string>>): JobkitResponse {
  for (const [name, value] of Object.entries(defaults)) if (!(name in res.headers)) res.headers[name] = value;
  return res;
}
