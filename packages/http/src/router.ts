/**
 * A small path matcher for the route table: literal segments, `:name` (one segment) and `*name` (the rest
 * of the path, at least one segment). Routes are tried in table order; a GET route also answers HEAD.
 */
import type { JobkitRequest, JobkitResponse } from './exchange.js';

export type Params = Readonly<Record<string, string>>;
export type RouteHandler = (req: JobkitRequest, params: Params) => Promise<JobkitResponse>;

export interface Route<A extends string = string> {
  method: 'GET' | 'POST' | 'PUT';
  /** e.g. `/jobs/:id/start`, `/files/*key`. */
  path: string;
  /** Who may call it; the table's owner enforces it before `run`. */
  access: A;
  run: RouteHandler;
}

interface Compiled<A extends string> {
  route: Route<A>;
  segments: string[];
  rest: string | null;
}

export interface Match<A extends string> {
  route: Route<A>;
  params: Params;
}

/** Compiles a table once; `match` returns the first route for a method and path, or null. */
export function createMatcher<A extends string>(routes: ReadonlyArray<Route<A>>): (method: string, path: string) => Match<A> | null {
  const literal = new Map<string, Route<A>>();
  const patterns: Array<Compiled<A>> = [];
  for (const route of routes) {
    if (!/[:*]/.test(route.path)) {
      const key = `${route.method} ${route.path}`;
      if (!literal.has(key)) literal.set(key, route);
      continue;
    }
    const segments = route.path.split('/').slice(1);
    const last = segments[segments.length - 1]!;
    const rest = last.startsWith('*') ? last.slice(1) : null;
    patterns.push({ route, segments: rest === null ? segments : segments.slice(0, -1), rest });
  }
  const NO_PARAMS: Params = Object.freeze({});

  return (method, path) => {
    const m = method === 'HEAD' ? 'GET' : method;
    const hit = literal.get(`${m} ${path}`);
    if (hit) return { route: hit, params: NO_PARAMS };
    const parts = path.split('/').slice(1);
    for (const c of patterns) {
      if (c.route.method !== m) continue;
      if (c.rest === null ? parts.length !== c.segments.length : parts.length <= c.segments.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < c.segments.length; i++) {
        const seg = c.segments[i]!;
        const part = parts[i]!;
        if (seg.startsWith(':')) {
          if (part === '') {
            ok = false;
            break;
          }
          params[seg.slice(1)] = part;
        } else if (seg !== part) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      if (c.rest !== null) params[c.rest] = parts.slice(c.segments.length).join('/');
      return { route: c.route, params };
    }
    return null;
  };
}

/** A path parameter, percent-decoded (a malformed escape is kept as is: the id/key validation refuses it). */
export function decodeParam(value: string | undefined): string {
  if (value === undefined) return '';
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
