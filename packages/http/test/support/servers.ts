import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import {
  createJobService,
  createLocalObjectStore,
  createMemoryJobStore,
  signWebhook,
  type JobService,
  type JobServiceOptions,
  type JobStore,
  type LocalObjectStore,
  type WebhookScheme,
} from 'jobkit';
import type { JobkitRouterOptions } from '@jobkit/adapter-express';
import type { Transport } from './transports.js';

export const TOKEN = 'test-token-0123456789abcdef';
export const TOKEN_2 = 'second-token-0123456789abcdef';
export const SECRET = 'webhook-secret-one';
export const SECRET_2 = 'webhook-secret-two';
export const SHA = 'a'.repeat(64);
export const SIGNING_SECRET = 'signing-secret-0123456789';

export interface TestServer {
  url: string;
  api: string;
  service: JobService;
  store: JobStore;
  objects: LocalObjectStore;
  dir: string;
  /** fetch through the transport (in-process for `direct`). */
  fetch(url: string | URL, init?: RequestInit): Promise<Response>;
  /** fetch with the bearer token. */
  authed(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** A signed webhook delivery. */
  deliver(body: unknown, opts?: { secret?: string; scheme?: WebhookScheme; now?: Date; raw?: string; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

export type ServerOverrides = Partial<JobkitRouterOptions> & { store?: JobStore; maxImagesPerSku?: number; serviceOptions?: Partial<JobServiceOptions> };

/** The jobkit API at /api on `transport`, on an in-memory store and a local object store in a temp dir. */
export async function startServer(transport: Transport, overrides: ServerOverrides = {}): Promise<TestServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'jobkit-http-'));
  const { store: givenStore, maxImagesPerSku, serviceOptions, ...routerOverrides } = overrides;
  const store = givenStore ?? createMemoryJobStore();
  const service = createJobService({ store, addressPolicy: { allowPrivate: false }, ...(maxImagesPerSku ? { maxImagesPerSku } : {}), ...serviceOptions });
  let objects!: LocalObjectStore;
  const served = await transport.serve((origin) => {
    objects = createLocalObjectStore({ dir: path.join(dir, 'objects'), baseUrl: `${origin}/api`, signingSecret: SIGNING_SECRET });
    // Jobs wait in NEW unless a test asks otherwise: most tests drive them through /start (the external driver).
    return [{ at: '/api', api: { service, objects, webhook: { secrets: [SECRET] }, auth: { tokens: [TOKEN] }, autoStart: false, ...routerOverrides } }];
  });
  const api = `${served.url}/api`;
  const scheme = overrides.webhook?.scheme;
  return {
    url: served.url,
    api,
    service,
    store,
    objects,
    dir,
    fetch: served.fetch,
    authed(p, init = {}) {
      const { json, ...rest } = init;
      const headers = new Headers(rest.headers);
      headers.set('authorization', `Bearer ${TOKEN}`);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return served.fetch(`${api}${p}`, { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) });
    },
    deliver(body, o = {}) {
      const raw = o.raw ?? JSON.stringify(body);
      const s = o.scheme ?? (typeof scheme === 'string' ? { scheme } : scheme);
      const headers = signWebhook({ body: raw, secret: o.secret ?? SECRET, ...(s ? { scheme: s as WebhookScheme } : {}), ...(o.now ? { now: o.now } : {}) });
      return served.fetch(`${api}/webhooks/3jms/images`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers, ...o.headers },
        body: raw,
      });
    },
    async close() {
      await served.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const photo = (sku = 'SKU-1', extra: Record<string, unknown> = {}) => ({ sku, sha256: SHA, imageUrl: 'https://images.example.com/p/1.jpg', ...extra });

export async function errorOf(res: Response): Promise<{ status: number; code: string; message: string; field?: string }> {
  const body = (await res.json()) as { error: { code: string; message: string; field?: string } };
  return { status: res.status, ...body.error };
}

/** `server(transport, ...)` starts a test server that is closed after each test of the calling file. */
export function useServers(): (transport: Transport, overrides?: ServerOverrides) => Promise<TestServer> {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return async (transport, overrides) => {
    const s = await startServer(transport, overrides);
    servers.push(s);
    return s;
  };
}
