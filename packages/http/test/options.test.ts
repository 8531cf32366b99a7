import { describe, expect, it } from 'vitest';
import { JobkitError, JOB_STATUSES, createJobService, createMemoryJobStore, createMemoryObjectStore } from 'jobkit';
import { createJobkitHandler, type JobkitHandlerOptions, type RawWebhookRequest } from '../src/index.js';
import { SECRET, TOKEN, errorOf, photo, useServers } from './support/servers.js';
import { TRANSPORTS } from './support/transports.js';

const server = useServers();

function base(): JobkitHandlerOptions {
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

describe('handler options', () => {
  it('refuses to start without a webhook secret unless allowUnsigned (never in production)', () => {
    expect(fieldOf(() => createJobkitHandler({ ...base(), webhook: {} }))).toBe('webhook.secrets');
    expect(fieldOf(() => createJobkitHandler({ ...base(), webhook: { secrets: [] } }))).toBe('webhook.secrets');
    expect(fieldOf(() => createJobkitHandler({ ...base(), webhook: { secrets: ['  '] } }))).toBe('webhook.secrets.0');
    expect(fieldOf(() => createJobkitHandler({ ...base(), webhook: { allowUnsigned: true }, env: { NODE_ENV: 'production' } }))).toBe('webhook.allowUnsigned');
    expect(fieldOf(() => createJobkitHandler({ ...base(), webhook: { allowUnsigned: true, secrets: SECRET } }))).toBe('webhook.allowUnsigned');
    expect(() => createJobkitHandler({ ...base(), webhook: { allowUnsigned: true }, env: { NODE_ENV: 'development' } })).not.toThrow();
  });

  it('refuses missing or weak API tokens and other bad options', () => {
    expect(fieldOf(() => createJobkitHandler({ ...base(), auth: { tokens: [] } }))).toBe('auth.tokens');
    expect(fieldOf(() => createJobkitHandler({ ...base(), auth: undefined as never }))).toBe('auth.tokens');
    expect(fieldOf(() => createJobkitHandler({ ...base(), auth: { tokens: ['short'] } }))).toBe('auth.tokens.0');
    expect(fieldOf(() => createJobkitHandler({ ...base(), service: undefined as never }))).toBe('service');
    expect(fieldOf(() => createJobkitHandler({ ...base(), objects: undefined as never }))).toBe('objects');
    expect(fieldOf(() => createJobkitHandler({ ...base(), maxUploadBytes: 0 }))).toBe('maxUploadBytes');
    expect(fieldOf(() => createJobkitHandler({ ...base(), presignExpiresInSec: 8 * 24 * 3600 }))).toBe('presignExpiresInSec');
    expect(fieldOf(() => createJobkitHandler({ ...base(), autoStart: 'yes' as never }))).toBe('autoStart');
    expect(fieldOf(() => createJobkitHandler({ ...base(), webhook: { secrets: SECRET, toleranceSec: -1 } }))).toBe('webhook.toleranceSec');
    expect(() => createJobkitHandler({ ...base(), basePath: 'api' })).toThrow(/basePath/);
  });

  it('strips basePath when the request carries it and takes other paths as already relative', async () => {
    const handler = createJobkitHandler({ ...base(), basePath: '/shop/api/' });
    expect((await handler(new Request('http://x.test/shop/api/healthz'))).status).toBe(200);
    expect((await handler(new Request('http://x.test/healthz'))).status).toBe(200);
    const missing = await handler(new Request('http://x.test/shop/api/nope'));
    expect(await errorOf(missing)).toMatchObject({ status: 404, message: 'no route GET /shop/api/nope' });
  });
});

describe.each(TRANSPORTS)('$name', (t) => {
  it('accepts unsigned deliveries only with allowUnsigned', async () => {
    const s = await server(t, { webhook: { allowUnsigned: true }, env: {} });
    const res = await s.fetch(`${s.api}/webhooks/3jms/images`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(photo()),
    });
    expect(res.status).toBe(201);
  });

  it('serves /files only for stores that verify signed requests', async () => {
    const s = await server(t, { objects: createMemoryObjectStore() });
    const res = await s.fetch(`${s.api}/files/masks/x.png?method=GET&expires=1&signature=00`);
    expect(res.status).toBe(404);
    const doc = (await (await s.fetch(`${s.api}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(doc.paths['/files/{key}']).toBeUndefined();
  });

  it('passes the exact bytes of /webhooks/replicate to the hook; its errors go through the error table', async () => {
    const seen: RawWebhookRequest[] = [];
    const s = await server(t, {
      replicateWebhook: async (req) => {
        seen.push(req);
        return { status: 202, body: { ok: true } };
      },
    });
    const raw = '{"id":"p1",  "status":"succeeded"}';
    const res = await s.fetch(`${s.api}/webhooks/replicate?job=abc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' },
      body: raw,
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ ok: true });
    expect(seen[0]!.rawBody.toString('utf8')).toBe(raw);
    expect(seen[0]!.headers['webhook-id']).toBe('msg_1');
    expect(seen[0]!.query).toEqual({ job: 'abc' });
    // A compressed body is refused before the hook sees it (its signature covers the bytes sent).
    const gz = await s.fetch(`${s.api}/webhooks/replicate`, { method: 'POST', headers: { 'content-encoding': 'gzip' }, body: raw });
    expect(await errorOf(gz)).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(seen).toHaveLength(1);
    const failing = await server(t, {
      replicateWebhook: async () => {
        throw new Error('boom');
      },
    });
    expect(await errorOf(await failing.fetch(`${failing.api}/webhooks/replicate`, { method: 'POST', body: '{}' }))).toMatchObject({
      status: 500,
      code: 'INTERNAL',
    });
    const refusing = await server(t, {
      replicateWebhook: async () => {
        throw new JobkitError('SIGNATURE_INVALID', 'bad signature');
      },
    });
    expect(await errorOf(await refusing.fetch(`${refusing.api}/webhooks/replicate`, { method: 'POST', body: '{}' }))).toMatchObject({
      status: 401,
      code: 'SIGNATURE_INVALID',
    });
  });

  it('GET /openapi.json is an OpenAPI 3.1 document listing every path, with resolvable $refs', async () => {
    const s = await server(t, { replicateWebhook: async () => ({ status: 202, body: {} }) });
    const res = await s.fetch(`${s.api}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, Record<string, unknown>> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/files/{key}',
        '/healthz',
        '/jobs',
        '/jobs/stats',
        '/jobs/{id}',
        '/jobs/{id}/approve',
        '/jobs/{id}/backgrounds',
        '/jobs/{id}/composite',
        '/jobs/{id}/events',
        '/jobs/{id}/fail',
        '/jobs/{id}/presign',
        '/jobs/{id}/reject',
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
    // The job as the API returns it: every status (REVIEW included) and the cutout's quality.
    const job = doc.components.schemas['Job'] as { properties: Record<string, { enum?: string[]; anyOf?: unknown[] }>; required: string[] };
    expect(job.properties['status']!.enum).toEqual([...JOB_STATUSES]);
    expect(job.properties['status']!.enum).toContain('REVIEW');
    expect(job.required).toContain('quality');
    expect(JSON.stringify(job.properties['quality'])).toContain('"score"');
    const reject = doc.components.schemas['RejectJobRequest'] as { required: string[]; properties: Record<string, unknown> };
    expect(reject.required).toEqual(['reason']);
    expect(reject.properties['retryWith']).toMatchObject({ const: 'hosted' });
    const text = JSON.stringify(doc);
    for (const m of text.matchAll(/"\$ref":"#\/components\/schemas\/([A-Za-z]+)"/g)) expect(doc.components.schemas[m[1]!], m[1]).toBeDefined();
    expect(text).not.toContain('$schema":"https://json-schema.org/draft/2020-12/schema","type"');
  });
});
