/**
 * Benchmark target, run in a child process so it does not share an event loop with the load generator.
 *   bare    an Express 5 app whose POST route answers 200 (the baseline)
 *   ingest  createJobkitRouter on a SQLite file store: raw body → HMAC verify → JSON parse + zod → insertOrGet
 *   ingest-memory  the same router on the in-memory store (isolates the HTTP adapter from the database write)
 * Sends { port } to the parent over IPC.
 */
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { createJobService, createMemoryJobStore, createMemoryObjectStore } from 'jobkit';
import { createSqliteJobStore } from '@jobkit/adapter-sqlite';
import { createJobkitRouter } from '@jobkit/adapter-express';

export const SECRET = 'bench-webhook-secret-0123456789';
export const TOKEN = 'bench-api-token-0123456789abcdef';

const mode = process.argv[2];
const app = express();
app.disable('x-powered-by');
if (mode === 'bare') {
  app.post('/api/webhooks/3jms/images', (_req, res) => {
    res.status(200).end();
  });
} else if (mode === 'ingest' || mode === 'ingest-memory') {
  const dir = mkdtempSync(path.join(tmpdir(), 'jobkit-bench-express-'));
  const store = mode === 'ingest' ? createSqliteJobStore({ filename: path.join(dir, 'jobs.db') }) : createMemoryJobStore();
  const service = createJobService({ store });
  app.use('/api', createJobkitRouter({ service, objects: createMemoryObjectStore(), webhook: { secrets: [SECRET] }, auth: { tokens: [TOKEN] } }));
} else {
  throw new Error(`unknown mode ${mode}`);
}
const server = app.listen(0, '127.0.0.1', () => {
  process.send!({ port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
