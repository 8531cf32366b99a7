/**
 * Benchmark target, run in a child process so it does not share an event loop with the load generator.
 * Every mode ingests the signed webhook into a SQLite file store:
 *   floor    a minimal hand-written node:http route doing only the unavoidable work: read the raw body,
 *            HMAC-SHA256 check, JSON.parse, insert the job and its event in one SQLite transaction
 *            (the store's insertOrGet), answer the job as JSON
 *   node     createJobkitHandler through toNodeHandler on node:http
 *   express  createJobkitRouter (the Express wrapper) in an Express 5 app
 *   hono     createJobkitHandler mounted in a Hono app (app.mount) on @hono/node-server
 *   express-floor  the floor's route inside an Express 5 app (what Express itself adds, for comparison)
 * Sends { port } to the parent over IPC, and answers { cpuUs, requests } to 'cpu' (CPU time of this process).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serve } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';
import { createJobService, createMemoryObjectStore, newJobRecord, type NewJobEvent } from 'jobkit';
import { createSqliteJobStore } from '@jobkit/adapter-sqlite';
import { createJobkitRouter } from '@jobkit/adapter-express';
import { createJobkitHandler, toNodeHandler } from '@jobkit/http';

export const SECRET = 'bench-webhook-secret-0123456789';
export const TOKEN = 'bench-api-token-0123456789abcdef';
export const MODES = ['floor', 'node', 'express', 'hono', 'express-floor'] as const;
export type Mode = (typeof MODES)[number];

const mode = process.argv[2] as Mode;
const dir = mkdtempSync(path.join(tmpdir(), 'jobkit-bench-http-'));
const store = createSqliteJobStore({ filename: path.join(dir, 'jobs.db') });
const service = createJobService({ store });
const options = { service, objects: createMemoryObjectStore(), webhook: { secrets: [SECRET] }, auth: { tokens: [TOKEN] } };
let requests = 0;

/** The floor: nothing jobkit's HTTP layer or service adds (no zod, no logging, no option handling). */
function floor(req: http.IncomingMessage, res: http.ServerResponse): void {
  requests++;
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const expected = createHmac('sha256', SECRET).update(body).digest();
    const given = Buffer.from(String(req.headers['x-3jms-signature'] ?? ''), 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.writeHead(401).end();
      return;
    }
    const data = JSON.parse(body.toString('utf8')) as { sku: string; sha256: string; imageUrl: string; theme?: string };
    const at = new Date().toISOString();
    const job = newJobRecord(
      {
        id: randomBytes(15).toString('base64url'),
        sku: data.sku,
        sha256: data.sha256,
        theme: data.theme ?? 'default',
        imageUrl: data.imageUrl,
        status: 'QUEUED',
        driver: 'worker',
        startedAt: at,
      },
      at,
    );
    const event: NewJobEvent = { jobId: job.id, at, from: null, to: job.status, attempt: 0, errorCode: null, message: 'created', costUsd: 0 };
    store.insertOrGet(job, event).then(
      ({ job: stored, created }) => {
        res.writeHead(created ? 201 : 200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ status: created ? 'created' : 'duplicate', job: stored }));
      },
      () => res.writeHead(500).end(),
    );
  });
}

function counted(listener: http.RequestListener): http.RequestListener {
  return (req, res) => {
    requests++;
    listener(req, res);
  };
}

async function start(): Promise<http.Server> {
  const listen = (server: http.Server) => new Promise<http.Server>((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
  switch (mode) {
    case 'floor':
      return listen(http.createServer(floor));
    case 'node':
      return listen(http.createServer(counted(toNodeHandler(createJobkitHandler({ ...options, basePath: '/api' })))));
    case 'express': {
      const app = express();
      app.disable('x-powered-by');
      app.use('/api', createJobkitRouter(options));
      return listen(http.createServer(counted(app)));
    }
    case 'express-floor': {
      const app = express();
      app.disable('x-powered-by');
      app.post('/api/webhooks/3jms/images', (req, res) => {
        requests--; // floor() counts it
        floor(req, res);
      });
      return listen(http.createServer(counted(app)));
    }
    case 'hono': {
      const app = new Hono();
      app.mount('/api', createJobkitHandler(options));
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as http.Server;
      server.prependListener('request', () => requests++);
      await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
      return server;
    }
    default:
      throw new Error(`unknown mode ${String(mode)}`);
  }
}

const server = await start();
process.send!({ port: (server.address() as AddressInfo).port });
process.on('message', (m) => {
  if (m === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send!({ cpuUs: user + system, requests });
  }
});
process.on('disconnect', () => process.exit(0));
