/**
 * Where an ingest request's CPU goes, in-process (no sockets, no load generator): the same signed webhook
 *   floor     HMAC check + JSON.parse + the store's insertOrGet (job + event, one SQLite transaction)
 *   service   JSON.parse + service.createJob (validation, SSRF check, id, insertOrGet)
 *   handler   the @jobkit/http core on a request record (verify, parse, zod, createJob, JSON answer)
 *   web-floor the floor behind a `Request` in and a `Response` out (what any fetch-style server pays)
 *   request   the web-standard entry: a `Request` in, a `Response` out (its body read)
 *
 *   npx tsx --conditions=@jobkit/source bench/express/in-process.ts [--n 3000] [--rounds 5]
 *
 * CPU time per operation (process.cpuUsage), median of the rounds, each on a fresh SQLite file.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createJobService, createMemoryObjectStore, newJobRecord, signWebhook, type NewJobEvent } from 'jobkit';
import { createSqliteJobStore } from '@jobkit/adapter-sqlite';
import { coreOf, createJobkitHandler, type JobkitRequest } from '@jobkit/http';

const SECRET = 'bench-webhook-secret-0123456789';
const { values } = parseArgs({ options: { n: { type: 'string', default: '3000' }, rounds: { type: 'string', default: '5' } } });
const n = Number(values.n);
const rounds = Number(values.rounds);

function bodies(count: number) {
  return Array.from({ length: count }, (_, i) => {
    const body = JSON.stringify({
      sku: `BENCH-${i % 5000}`,
      sha256: randomBytes(32).toString('hex'),
      imageUrl: `https://images.example.com/p/${i}.jpg`,
      theme: 'default',
    });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      ...signWebhook({ body, secret: SECRET }),
    };
    return { body: Buffer.from(body), headers };
  });
}

function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), 'jobkit-bench-inproc-'));
  const store = createSqliteJobStore({ filename: path.join(dir, 'jobs.db') });
  const service = createJobService({ store });
  const handler = createJobkitHandler({
    service,
    objects: createMemoryObjectStore(),
    webhook: { secrets: [SECRET] },
    auth: { tokens: ['bench-api-token-0123456789abcdef'] },
  });
  return { store, service, handler, core: coreOf(handler)!.core };
}

type Case = (input: ReturnType<typeof bodies>[number], env: ReturnType<typeof setup>) => Promise<unknown>;

const CASES: Record<string, Case> = {
  floor: async ({ body, headers }, { store }) => {
    const expected = createHmac('sha256', SECRET).update(body).digest();
    const given = Buffer.from(headers['x-3jms-signature']!, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error('bad signature');
    const data = JSON.parse(body.toString('utf8')) as { sku: string; sha256: string; imageUrl: string; theme: string };
    const at = new Date().toISOString();
    const job = newJobRecord(
      {
        id: randomBytes(15).toString('base64url'),
        sku: data.sku,
        sha256: data.sha256,
        theme: data.theme,
        imageUrl: data.imageUrl,
        status: 'QUEUED',
        driver: 'worker',
        startedAt: at,
      },
      at,
    );
    const event: NewJobEvent = { jobId: job.id, at, from: null, to: job.status, attempt: 0, errorCode: null, message: 'created', costUsd: 0 };
    return JSON.stringify((await store.insertOrGet(job, event)).job);
  },
  service: async ({ body }, { service }) => {
    const data = JSON.parse(body.toString('utf8')) as { sku: string; sha256: string; imageUrl: string; theme: string };
    return JSON.stringify((await service.createJob({ ...data, autoStart: true })).job);
  },
  handler: async ({ body, headers }, { core }) => {
    const record: JobkitRequest = {
      method: 'POST',
      path: '/webhooks/3jms/images',
      query: new URLSearchParams(),
      headers,
      body: { read: async () => body },
      base: '',
      ip: '127.0.0.1',
      secure: false,
    };
    const res = await core.dispatch(record);
    if (res?.status !== 201) throw new Error(`status ${res?.status}`);
    return res.body;
  },
  'web-floor': async ({ body, headers }, env) => {
    const request = new Request('http://bench.test/webhooks/3jms/images', { method: 'POST', headers, body });
    const bytes = Buffer.from(await request.arrayBuffer());
    const json = (await CASES['floor']!({ body: bytes, headers }, env)) as string;
    const res = new Response(json, { status: 201, headers: { 'content-type': 'application/json; charset=utf-8' } });
    return res.text();
  },
  request: async ({ body, headers }, { handler }) => {
    const res = await handler(new Request('http://bench.test/webhooks/3jms/images', { method: 'POST', headers, body }));
    if (res.status !== 201) throw new Error(`status ${res.status}`);
    return res.text();
  },
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results: Record<string, number[]> = Object.fromEntries(Object.keys(CASES).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) {
  for (const [name, run] of Object.entries(CASES)) {
    const env = setup();
    const warm = bodies(500);
    for (const b of warm) await run(b, env);
    const input = bodies(n);
    const before = process.cpuUsage();
    for (const b of input) await run(b, env);
    const used = process.cpuUsage(before);
    results[name]!.push((used.user + used.system) / n);
    await env.store.close();
  }
}
const floor = median(results['floor']!);
console.log(`node ${process.version}, ${n} requests × ${rounds} rounds, CPU µs per request (median)`);
console.log('| case | µs CPU/request | floor / case |');
console.log('|---|---|---|');
for (const [name, xs] of Object.entries(results)) console.log(`| ${name} | ${median(xs).toFixed(0)} | ${(floor / median(xs)).toFixed(2)} |`);
