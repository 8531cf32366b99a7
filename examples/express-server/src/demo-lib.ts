/**
 * The demo flow, shared by `npm run demo` and the tests: the server on embedded defaults (ephemeral port,
 * its own data directory), one SIGNED webhook per sample photo whose imageUrl points at a small static
 * server on 127.0.0.1 — so the real path runs: webhook → guarded download → sha256 check → segment →
 * backgrounds → composite → local storefront. Loopback URLs are refused by default (SSRF guard), so the demo
 * sets JOBKIT_ALLOW_PRIVATE_IMAGE_URLS for itself only.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SKU_PATTERN, signWebhook, type Job, type Logger } from 'jobkit';
import { loadConfig } from './config.js';
import { startServer, type RunningServer } from './server.js';

export interface DemoOptions {
  samplesDir: string;
  dataDir: string;
  /** Give up waiting after this long (default 180 s). */
  timeoutMs?: number;
  logger: Logger;
  /** Progress lines (default: nothing). */
  print?: (line: string) => void;
  /** Extra environment for the server (e.g. LOG_LEVEL). */
  env?: Record<string, string>;
}

export interface DemoJobResult {
  sku: string;
  file: string;
  job: Job | null;
  /** DONE, REVIEW (held for a person: the quality gate doubted the cut), FAILED or TIMEOUT (or the HTTP error of the delivery). */
  outcome: string;
  ms: number;
}

export interface DemoResult {
  /** Every job reached the storefront (DONE) or waits in REVIEW; none failed or timed out. */
  ok: boolean;
  jobs: DemoJobResult[];
  dataDir: string;
  objectsDir: string | undefined;
  storefrontDir: string | undefined;
}

/** Serves the *.jpg files of `dir` (flat, names checked) on 127.0.0.1. */
async function startStaticServer(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').split('?')[0]!.slice(1));
    if (req.method !== 'GET' || !/^[A-Za-z0-9][A-Za-z0-9._-]*\.jpe?g$/.test(name)) {
      res.writeHead(404).end();
      return;
    }
    const stream = createReadStream(path.join(dir, name));
    stream.once('open', () => res.writeHead(200, { 'content-type': 'image/jpeg' }));
    stream.once('error', () => res.writeHead(404).end());
    stream.pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const print = opts.print ?? (() => {});
  const timeoutMs = opts.timeoutMs ?? 180_000;
  const files = (await fs.readdir(opts.samplesDir)).filter((f) => /\.jpe?g$/i.test(f)).sort();
  if (files.length === 0) throw new Error(`no *.jpg sample photos in ${opts.samplesDir}`);

  const photos = await fs.mkdir(opts.dataDir, { recursive: true }).then(() => startStaticServer(opts.samplesDir));
  let server: RunningServer | null = null;
  try {
    const config = loadConfig(
      {
        PORT: '0',
        HOST: '127.0.0.1',
        JOBKIT_DATA_DIR: opts.dataDir,
        JOBKIT_ALLOW_PRIVATE_IMAGE_URLS: '1',
        JOBKIT_WORKER: '1',
        JOBKIT_AUTO_START: '1',
        ...opts.env,
      },
      process.cwd(),
    );
    server = await startServer(config, opts.logger);
    const { api, runtime } = server;
    const token = runtime.apiTokens[0]!;
    const secret = runtime.webhookSecrets[0]!;
    print(`server on ${server.url}, data in ${config.dataDir}`);

    const started = Date.now();
    const results: DemoJobResult[] = [];
    // One built-in theme per photo, in turn, so the demo shows each look (marketplace white, studio sweep, …).
    const themes = ['default', 'studio', 'warm', 'slate'];
    for (const [index, file] of files.entries()) {
      const theme = themes[index % themes.length]!;
      const sku = path.basename(file, path.extname(file)).replace(/[^A-Za-z0-9._-]/g, '-');
      const bytes = await fs.readFile(path.join(opts.samplesDir, file));
      if (!SKU_PATTERN.test(sku)) {
        results.push({ sku, file, job: null, outcome: 'INVALID_SKU', ms: 0 });
        continue;
      }
      const body = JSON.stringify({
        sku,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        imageUrl: `${photos.url}/${encodeURIComponent(file)}`,
        theme,
      });
      const res = await fetch(`${api}/webhooks/3jms/images`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signWebhook({ body, secret }) },
        body,
      });
      const answer = (await res.json()) as { status?: string; job?: Job; error?: { code: string; message: string } };
      if (!answer.job) {
        results.push({ sku, file, job: null, outcome: `HTTP ${res.status} ${answer.error?.code ?? ''}`.trim(), ms: 0 });
        continue;
      }
      print(`webhook ${file} (theme ${theme}): ${res.status} ${answer.status} job ${answer.job.id}`);
      results.push({ sku, file, job: answer.job, outcome: 'PENDING', ms: 0 });
    }

    // Poll the API (with the token) until every job finished or the time is up.
    const deadline = started + timeoutMs;
    while (results.some((r) => r.outcome === 'PENDING') && Date.now() < deadline) {
      await sleep(250);
      for (const r of results.filter((x) => x.outcome === 'PENDING')) {
        const res = await fetch(`${api}/jobs/${r.job!.id}`, { headers: { authorization: `Bearer ${token}` } });
        if (!res.ok) continue;
        const { job } = (await res.json()) as { job: Job };
        r.job = job;
        if (job.status === 'DONE' || job.status === 'FAILED' || job.status === 'REVIEW') {
          r.outcome = job.status;
          r.ms = Date.now() - started;
          const why =
            job.status === 'REVIEW'
              ? ` (held for review${job.quality ? `, score ${job.quality.score.toFixed(2)}: ${job.quality.reasons.join('; ')}` : ''}; approve it on the dashboard or POST /api/jobs/${job.id}/approve)`
              : job.errorCode
                ? ` (${job.errorCode}: ${job.errorMessage})`
                : '';
          print(`${job.sku}: ${job.status}${why}`);
        }
      }
    }
    for (const r of results) if (r.outcome === 'PENDING') r.outcome = 'TIMEOUT';
    return {
      ok: results.every((r) => r.outcome === 'DONE' || r.outcome === 'REVIEW'),
      jobs: results,
      dataDir: config.dataDir,
      objectsDir: runtime.paths.objects,
      storefrontDir: runtime.paths.storefront,
    };
  } finally {
    await server?.close();
    await photos.close();
  }
}
