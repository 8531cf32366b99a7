/**
 * Every way jobkit is mounted, behind one interface, so each route test runs on all of them (as kysely runs
 * one suite over every dialect):
 *   direct   the web-standard handler called in-process with `Request` objects (no socket)
 *   node     `toNodeHandler` on a real node:http server
 *   express  the Express wrappers (`createJobkitRouter` / `createJobkitDashboard`) in an Express 5 app
 *   hono     the handler inside a Hono app via `app.mount`, served by @hono/node-server
 * A test gets `fetch`: over 127.0.0.1 for the servers, straight into the handler for `direct`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type HttpBindings } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';
import { createJobkitDashboard, createJobkitRouter, type JobkitRouterOptions } from '@jobkit/adapter-express';
import { createDashboardHandler, createJobkitHandler, toNodeHandler, type DashboardOptions, type JobkitHandler } from '../../src/index.js';

export type Mount = { at: string; api: JobkitRouterOptions } | { at: string; dashboard: DashboardOptions };

export interface Served {
  /** http://127.0.0.1:port (or a made-up origin for `direct`). */
  url: string;
  fetch(url: string | URL, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export interface Transport {
  name: 'direct' | 'node' | 'express' | 'hono';
  /**
   * Serves the mounts. `origin` is called with the server's origin before the mounts are built (the local
   * object store signs URLs with it).
   */
  serve(mounts: (origin: string) => Mount[] | Promise<Mount[]>): Promise<Served>;
}

function handlerOf(m: Mount, clientAddress?: (r: Request, ...platform: unknown[]) => string | undefined): JobkitHandler {
  const entry = { basePath: m.at, ...(clientAddress ? { clientAddress } : {}) };
  if ('api' in m) {
    const { extraRoutes: _x, ...api } = m.api;
    return createJobkitHandler({ ...api, ...entry });
  }
  return createDashboardHandler({ ...m.dashboard, ...entry });
}

const byPrefix = <T extends { at: string }>(list: T[], pathname: string): T | undefined =>
  list.find((m) => pathname === m.at || pathname.startsWith(`${m.at}/`));

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: http.Server): () => Promise<void> {
  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

/** A node:http server whose listener is set once the mounts are built. */
async function nodeServer(build: (origin: string) => Promise<http.RequestListener>): Promise<Served> {
  let listener: http.RequestListener | null = null;
  const server = http.createServer((req, res) => listener!(req, res));
  const url = await listen(server);
  listener = await build(url);
  return { url, fetch: (u, init) => fetch(u, init), close: closer(server) };
}

const direct: Transport = {
  name: 'direct',
  async serve(build) {
    const url = 'http://jobkit.test';
    const mounts = (await build(url)).map((m) => ({ at: m.at, handler: handlerOf(m, () => '127.0.0.1') }));
    const call = async (u: string | URL, init: RequestInit = {}): Promise<Response> => {
      const request = new Request(u, init);
      const target = new URL(request.url);
      if (target.origin !== url) return fetch(request);
      const m = byPrefix(mounts, target.pathname);
      const res = m ? await m.handler(request) : Response.json({ error: { code: 'NOT_FOUND', message: 'not found' } }, { status: 404 });
      const location = res.headers.get('location');
      // Follow redirects like fetch does (a GET to the new location), unless asked not to.
      if (location && res.status >= 300 && res.status < 400 && init.redirect !== 'manual') {
        const headers = new Headers(init.headers);
        headers.delete('content-type');
        return call(new URL(location, target), { headers });
      }
      return res;
    };
    return { url, fetch: call, close: async () => {} };
  },
};

const node: Transport = {
  name: 'node',
  serve: (build) =>
    nodeServer(async (origin) => {
      const mounts = (await build(origin)).map((m) => ({ at: m.at, listener: toNodeHandler(handlerOf(m)) }));
      return (req, res) => {
        const m = byPrefix(mounts, (req.url ?? '/').split('?')[0]!);
        if (m) return m.listener(req, res);
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"NOT_FOUND","message":"not found"}}');
      };
    }),
};

const viaExpress: Transport = {
  name: 'express',
  serve: (build) =>
    nodeServer(async (origin) => {
      const app = express();
      for (const m of await build(origin)) {
        app.use(m.at, 'api' in m ? createJobkitRouter(m.api) : createJobkitDashboard(m.dashboard));
      }
      return app;
    }),
};

const hono: Transport = {
  name: 'hono',
  async serve(build) {
    const app = new Hono();
    let url = '';
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as http.Server;
    await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The client's address from the IncomingMessage that @hono/node-server passes on as Hono's env.
    const fromEnv = (_req: Request, env: unknown) => (env as HttpBindings).incoming.socket.remoteAddress;
    for (const m of await build(url)) app.mount(m.at, handlerOf(m, fromEnv));
    return { url, fetch: (u, init) => fetch(u, init), close: closer(server) };
  },
};

export const TRANSPORTS: readonly Transport[] = [direct, node, viaExpress, hono];
export const transportNamed = (name: Transport['name']): Transport => TRANSPORTS.find((t) => t.name === name)!;
