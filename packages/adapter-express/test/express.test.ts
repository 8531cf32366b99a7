/**
 * What only the Express wrappers do (the routes themselves are tested on every transport in @jobkit/http):
 * body parsers in front of the router, `trust proxy`, extraRoutes, Express's own headers.
 */
import type { AddressInfo } from 'node:net';
import express, { type Express, type Router } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { JobkitError, createJobService, createMemoryJobStore, createMemoryObjectStore, signWebhook, type Job, type JobService } from 'jobkit';
import { createJobkitDashboard, createJobkitRouter, type JobkitRouterOptions } from '../src/index.js';

const TOKEN = 'test-token-0123456789abcdef';
const SECRET = 'webhook-secret-one';
const photo = (sku: string) => ({ sku, sha256: 'a'.repeat(64), imageUrl: 'https://images.example.com/p/1.jpg' });

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function listen(app: Express): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An app with `before` middleware in front of the jobkit router at /api. */
async function appWith(before: (app: Express) => void, options: Partial<JobkitRouterOptions> = {}): Promise<{ api: string; service: JobService }> {
  const service = createJobService({ store: createMemoryJobStore() });
  const app = express();
  before(app);
  app.use(
    '/api',
    createJobkitRouter({
      service,
      objects: createMemoryObjectStore(),
      webhook: { secrets: [SECRET] },
      auth: { tokens: [TOKEN] },
      autoStart: false,
      ...options,
    }),
  );
  return { api: `${await listen(app)}/api`, service };
}

function deliver(api: string, body: unknown): Promise<Response> {
  const raw = JSON.stringify(body);
  return fetch(`${api}/webhooks/3jms/images`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signWebhook({ body: raw, secret: SECRET }) },
    body: raw,
  });
}

describe('a body parser in front of the router', () => {
  it('global express.json(): a correctly signed webhook is 500 BODY_NOT_RAW naming the parser, never 401', async () => {
    const { api, service } = await appWith((app) => app.use(express.json()));
    const res = await deliver(api, photo('PARSED'));
    expect(res.status).toBe(500);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('BODY_NOT_RAW');
    expect(error.message).toContain('express.json()');
    expect(error.message).toContain('rawBody');
    expect((await service.listJobs()).total).toBe(0);
    // The management API is fine with a parsed JSON body.
    const { job } = await service.createJob({ ...photo('MANAGED') });
    const fail = await fetch(`${api}/jobs/${job.id}/fail`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'SEGMENT_FAILED', message: 'by hand' }),
    });
    expect(fail.status).toBe(200);
    expect(((await fail.json()) as { job: Job }).job).toMatchObject({ status: 'FAILED', errorCode: 'SEGMENT_FAILED' });
  });

  it('express.json({ verify }) keeping req.rawBody: the signature is checked on the kept bytes', async () => {
    const { api } = await appWith((app) =>
      app.use(
        express.json({
          verify: (req, _res, buf) => {
            (req as unknown as { rawBody: Buffer }).rawBody = buf;
          },
        }),
      ),
    );
    expect((await deliver(api, photo('KEPT'))).status).toBe(201);
    // A wrong signature over the kept bytes is still a signature error.
    const raw = JSON.stringify(photo('FORGED'));
    const forged = await fetch(`${api}/webhooks/3jms/images`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-3jms-signature': 'b'.repeat(64) },
      body: raw,
    });
    expect(forged.status).toBe(401);
  });

  it('a global express.raw(): the Buffer is the raw body', async () => {
    const { api } = await appWith((app) => app.use(express.raw({ type: () => true })));
    expect((await deliver(api, photo('RAW'))).status).toBe(201);
  });

  it('no parser: nothing to configure, and the body limit still applies (413)', async () => {
    const { api } = await appWith(() => undefined, { webhook: { secrets: [SECRET], maxBodyBytes: 512 } });
    expect((await deliver(api, photo('PLAIN'))).status).toBe(201);
    expect((await deliver(api, { ...photo('BIG'), pad: 'x'.repeat(1000) })).status).toBe(413);
  });
});

describe('router details', () => {
  it("extraRoutes answer after jobkit's routes and before the 404; their errors leave as JSON; no x-powered-by", async () => {
    const { api } = await appWith(() => undefined, {
      extraRoutes: (router: Router) => {
        router.get('/custom', (_req, res) => {
          res.json({ custom: true });
        });
        router.get('/broken', () => {
          throw new JobkitError('INVALID_TRANSITION', 'not now');
        });
      },
    });
    const custom = await fetch(`${api}/custom`);
    expect(await custom.json()).toEqual({ custom: true });
    expect(custom.headers.get('x-powered-by')).toBeNull();
    expect(await (await fetch(`${api}/broken`)).json()).toEqual({ error: { code: 'INVALID_TRANSITION', message: 'not now' } });
    const missing = await fetch(`${api}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-powered-by')).toBeNull();
    expect(((await missing.json()) as { error: { message: string } }).error.message).toBe('no route GET /api/nope');
    expect((await fetch(`${api}/healthz`)).headers.get('x-powered-by')).toBeNull();
  });
});

describe('the dashboard behind a proxy (trust proxy)', () => {
  async function dashboard(trustProxy: boolean): Promise<string> {
    const service = createJobService({ store: createMemoryJobStore() });
    const app = express();
    if (trustProxy) app.set('trust proxy', 'loopback');
    app.use('/ops', createJobkitDashboard({ service, objects: createMemoryObjectStore(), auth: { tokens: [TOKEN] }, maxLoginFailuresPerMinute: 2 }));
    return `${await listen(app)}/ops`;
  }
  const signIn = (base: string, token: string, forwardedFor?: string, proto?: string) =>
    fetch(`${base}/login`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
        ...(proto ? { 'x-forwarded-proto': proto } : {}),
      },
      body: new URLSearchParams({ token }).toString(),
      redirect: 'manual',
    });

  it('counts wrong tokens per client address (req.ip) and marks the cookie Secure on https', async () => {
    const base = await dashboard(true);
    for (let i = 0; i < 2; i++) expect((await signIn(base, 'wrong-token-wrong-token', '203.0.113.7')).status).toBe(401);
    expect((await signIn(base, 'wrong-token-wrong-token', '203.0.113.7')).status).toBe(429);
    // Another client is not throttled by the first one's failures, and the right token always signs in.
    expect((await signIn(base, 'wrong-token-wrong-token', '198.51.100.2')).status).toBe(401);
    const right = await signIn(base, TOKEN, '203.0.113.7', 'https');
    expect(right.status).toBe(303);
    expect(right.headers.get('set-cookie')).toMatch(/; Secure$/);
  });

  it("without trust proxy every client shares the proxy's address: wrong tokens are throttled together, the right one still signs in", async () => {
    const base = await dashboard(false);
    for (let i = 0; i < 2; i++) expect((await signIn(base, 'wrong-token-wrong-token', `203.0.113.${i}`)).status).toBe(401);
    expect((await signIn(base, 'wrong-token-wrong-token', '198.51.100.2')).status).toBe(429);
    const right = await signIn(base, TOKEN, '198.51.100.3', 'https');
    expect(right.status).toBe(303);
    expect(right.headers.get('set-cookie')).not.toMatch(/Secure/);
  });

  it('a global urlencoded parser in front: the sign-in form still works', async () => {
    const service = createJobService({ store: createMemoryJobStore() });
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use('/ops', createJobkitDashboard({ service, objects: createMemoryObjectStore(), auth: { tokens: [TOKEN] } }));
    const base = `${await listen(app)}/ops`;
    expect((await signIn(base, TOKEN)).status).toBe(303);
    expect((await signIn(base, 'wrong-token-wrong-token')).status).toBe(401);
  });
});
