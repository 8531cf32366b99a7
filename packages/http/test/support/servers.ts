import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { afterEach } from 'vitest';
import {
  createJobService,
  createLocalObjectStore,
  createMemoryJobStore,
  signWebhook,
  type JobService,
  type JobStore,
  type LocalObjectStore,
  type WebhookScheme,
} from 'jobkit';
import { createJobkitRouter, type JobkitRouterOptions } from '../src/index.js';

export const TOKEN = 'test-token-0123456789abcdef';
export const TOKEN_2 = 'second-token-0123456789abcdef';
export const SECRET = 'webhook-secret-one';
export const SECRET_2 = 'webhook-secret-two';
export const SHA = 'a'.repeat(64);

export interface TestServer {
  url: string;
  api: string;
  service: JobService;
  store: JobStore;
  objects: LocalObjectStore;
  dir: string;
  /** fetch with the bearer token. */
  authed(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** A signed webhook delivery. */
  deliver(body: unknown, opts?: { secret?: string; scheme?: WebhookScheme; now?: Date; raw?: string }): Promise<Response>;
  close(): Promise<void>;
}

export async function startServer(overrides: Partial<JobkitRouterOptions> & { store?: JobStore; maxImagesPerSku?: number } = {}): Promise<TestServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'jobkit-express-'));
  const store = overrides.store ?? createMemoryJobStore();
  const service = createJobService({ store, addressPolicy: { allowPrivate: false }, ...(overrides.maxImagesPerSku ? { maxImagesPerSku: overrides.maxImagesPerSku } : {}) });
  const app = express();
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const objects = createLocalObjectStore({ dir: path.join(dir, 'objects'), baseUrl: `${url}/api`, signingSecret: 'signing-secret-0123456789' });
  const { store: _s, maxImagesPerSku: _m, ...routerOverrides } = overrides;
  app.use(
    '/api',
    createJobkitRouter({ service, objects, webhook: { secrets: [SECRET] }, auth: { tokens: [TOKEN] }, ...routerOverrides }),
  );
  const api = `${url}/api`;
  const scheme = overrides.webhook?.scheme;
  return {
    url,
    api,
    service,
    store,
    objects,
    dir,
    authed(p, init = {}) {
      const { json, ...rest } = init;
      const headers = new Headers(rest.headers);
      headers.set('authorization', `Bearer ${TOKEN}`);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(`${api}${p}`, { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
    },
    deliver(body, o = {}) {
      const raw = o.raw ?? JSON.stringify(body);
      const s = o.scheme ?? (typeof scheme === 'string' ? { scheme } : scheme);
      const headers = signWebhook({ body: raw, secret: o.secret ?? SECRET, ...(s ? { scheme: s as WebhookScheme } : {}), ...(o.now ? { now: o.now } : {}) });
      return fetch(`${api}/webhooks/3jms/images`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const photo = (sku = 'SKU-1', extra: Record<string, unknown> = {}) => ({ sku, sha256: SHA, imageUrl: 'https://images.example.com/p/1.jpg', ...extra });

export async function errorOf(res: Response): Promise<{ status: number; code: string; message: string; field?: string }> {
  const body = (await res.json()) as { error: { code: string; message: string; field?: string } };
  return { status: res.status, ...body.error };
}

/** `server(...)` starts a test server that is closed after each test of the calling file. */
export function useServers(): (...args: Parameters<typeof startServer>) => Promise<TestServer> {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return async (...args) => {
    const s = await startServer(...args);
    servers.push(s);
    return s;
  };
}
