import express, { type Router } from 'express';
import { describe, expect, it } from 'vitest';
import { JobkitError, createJobService, createLocalObjectStore, createMemoryJobStore, createMemoryObjectStore } from 'jobkit';
import { createJobkitRouter, type JobkitRouterOptions, type RawWebhookRequest } from '../src/index.js';
import { SECRET, TOKEN, errorOf, photo, type TestServer, useServers } from './helpers.js';

const server = useServers();

function base(): JobkitRouterOptions {
  const service = createJobService({ store: createMemoryJobStore() });
  return { service, objects: createMemoryObjectStore(), webhook: { secrets: SECRET }, auth: { tokens: [TOKEN] }, env: {} };
}
function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(JobkitError.is(e, 'INVALID_INPUT')).toBe(true);
    return (e as JobkitError).details?.['field'] as string;
  }
  throw new Error('expected a throw');
}

describe('router options', () => {
  it('refuses to start without a webhook secret unless allowUnsigned (never in production)', () => {
    expect(fieldOf(() => createJobkitRouter({ ...base(), webhook: {} }))).toBe('webhook.secrets');
    expect(fieldOf(() => createJobkitRouter({ ...base(), webhook: { secrets: [] } }))).toBe('webhook.secrets');
    expect(fieldOf(() => createJobkitRouter({ ...base(), webhook: { secrets: ['  '] } }))).toBe('webhook.secrets.0');
    expect(fieldOf(() => createJobkitRouter({ ...base(), webhook: { allowUnsigned: true }, env: { NODE_ENV: 'production' } }))).toBe('webhook.allowUnsigned');
    expect(fieldOf(() => createJobkitRouter({ ...base(), webhook: { allowUnsigned: true, secrets: SECRET } }))).toBe('webhook.allowUnsigned');
    expect(() => createJobkitRouter({ ...base(), webhook: { allowUnsigned: true }, env: { NODE_ENV: 'development' } })).not.toThrow();
  });

  it('refuses missing or weak API tokens and other bad options', () => {
    expect(fieldOf(() => createJobkitRouter({ ...base(), auth: { tokens: [] } }))).toBe('auth.tokens');
    expect(fieldOf(() => createJobkitRouter({ ...base(), auth: undefined as never }))).toBe('auth.tokens');
    expect(fieldOf(() => createJobkitRouter({ ...base(), auth: { tokens: ['short'] } }))).toBe('auth.tokens.0');
    expect(fieldOf(() => createJobkitRouter({ ...base(), service: undefined as never }))).toBe('service');
    expect(fieldOf(() => createJobkitRouter({ ...base(), objects: undefined as never }))).toBe('objects');
    expect(fieldOf(() => createJobkitRouter({ ...base(), maxUploadBytes: 0 }))).toBe('maxUploadBytes');
    expect(fieldOf(() => createJobkitRouter({ ...base(), webhook: { secrets: SECRET, toleranceSec: -1 } }))).toBe('webhook.toleranceSec');
  });

  it('accepts unsigned deliveries only with allowUnsigned', async () => {
    const s = await server({ webhook: { allowUnsigned: true }, env: {} });
    const res = await fetch(`${s.api}/webhooks/3jms/images`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(photo()) });
    expect(res.status).toBe(201);
  });

  it('mounts /files only for stores that verify signed requests', async () => {
    const app = express();
    app.use('/api', createJobkitRouter(base()));
    const srv = app.listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    const { port } = srv.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/api/files/masks/x.png?method=GET&expires=1&signature=00`);
    expect(res.status).toBe(404);
    const doc = (await (await fetch(`http://127.0.0.1:${port}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(doc.paths['/files/{key}']).toBeUndefined();
    srv.closeAllConnections();
    await new Promise((r) => srv.close(r));
    expect(createLocalObjectStore({ dir: '/tmp/x' }).verifyRequest).toBeTypeOf('function');
  });

  it('passes the raw body of /webhooks/replicate to the hook, and extraRoutes run before the 404', async () => {
    const seen: RawWebhookRequest[] = [];
    const s = await server({
      replicateWebhook: async (req) => {
        seen.push(req);
        return { status: 202, body: { ok: true } };
      },
      extraRoutes: (router: Router) => {
        router.get('/custom', (_req, res) => {
          res.json({ custom: true });
        });
      },
    });
    const raw = '{"id":"p1",  "status":"succeeded"}';
    const res = await fetch(`${s.api}/webhooks/replicate?job=abc`, { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' }, body: raw });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ ok: true });
    expect(seen[0]!.rawBody.toString('utf8')).toBe(raw);
    expect(seen[0]!.headers['webhook-id']).toBe('msg_1');
    expect(seen[0]!.query).toEqual({ job: 'abc' });
    expect(await (await fetch(`${s.api}/custom`)).json()).toEqual({ custom: true });
    const failing = await server({
      replicateWebhook: async () => {
        throw new Error('boom');
      },
    });
    expect(await errorOf(await fetch(`${failing.api}/webhooks/replicate`, { method: 'POST', body: '{}' }))).toMatchObject({ status: 500, code: 'INTERNAL' });
  });
});

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document listing every path, with resolvable $refs', async () => {
    const s = await server({ replicateWebhook: async () => ({ status: 202, body: {} }) });
    const res = await fetch(`${s.api}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, Record<string, unknown>> } };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/files/{key}',
        '/healthz',
        '/jobs',
        '/jobs/stats',
        '/jobs/{id}',
        '/jobs/{id}/backgrounds',
        '/jobs/{id}/composite',
        '/jobs/{id}/events',
        '/jobs/{id}/fail',
        '/jobs/{id}/presign',
        '/jobs/{id}/retry',
        '/jobs/{id}/segmentation',
        '/jobs/{id}/shopify',
        '/jobs/{id}/start',
        '/openapi.json',
        '/readyz',
        '/webhooks/3jms/images',
        '/webhooks/replicate',
      ].sort(),
    );
    // Generated from the zod schemas: the core's patterns are there.
    const webhook = doc.components.schemas['WebhookImage'] as { properties: Record<string, { pattern?: string }>; required: string[] };
    expect(webhook.properties['sku']!.pattern).toBe('^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$');
    expect(webhook.required.sort()).toEqual(['imageUrl', 'sha256', 'sku']);
    const presign = doc.components.schemas['PresignRequest'] as { properties: Record<string, { enum?: string[] }> };
    expect(presign.properties['kind']!.enum).toEqual(['original', 'mask', 'bg', 'composite', 'thumb']);
    const text = JSON.stringify(doc);
    for (const m of text.matchAll(/"\$ref":"#\/components\/schemas\/([A-Za-z]+)"/g)) expect(doc.components.schemas[m[1]!], m[1]).toBeDefined();
    expect(text).not.toContain('$schema":"https://json-schema.org/draft/2020-12/schema","type"');
  });
});
