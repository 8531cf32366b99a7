/**
 * Starts the HTTP server and the runtime. The socket is bound first so the real port (PORT=0 picks a free
 * one) is known before the object store signs URLs with it; requests wait for the app to be ready.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Logger } from 'jobkit';
import { createApp } from './app.js';
import { publicOrigin, type Config } from './config.js';
import { createRuntime, type Runtime, type RuntimeOptions } from './runtime.js';

export interface RunningServer {
  /** http://host:port */
  url: string;
  /** {url}/api */
  api: string;
  runtime: Runtime;
  server: http.Server;
  /** Graceful: stop accepting, let the worker finish in-flight steps, close the store. Idempotent. */
  close(): Promise<void>;
}

export async function startServer(config: Config, logger: Logger, options: Pick<RuntimeOptions, 'replicateClient'> = {}): Promise<RunningServer> {
  let app: Express | null = null;
  const pending: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    if (app) return app(req, res);
    pending.push(() => app!(req, res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const origin = publicOrigin(config, port);
  let runtime: Runtime;
  try {
    runtime = await createRuntime(config, { ...options, logger, origin });
  } catch (e) {
    await new Promise((r) => server.close(r));
    throw e;
  }
  app = createApp(runtime, config, logger);
  for (const run of pending.splice(0)) run();
  runtime.worker?.start();

  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info(
    {
      url,
      pid: process.pid,
      publicUrl: origin,
      dataDir: runtime.paths.dataDir,
      adapters: runtime.adapters,
      worker: runtime.worker !== null,
      autoStart: config.autoStart,
      review: runtime.service.review,
    },
    'jobkit example server listening',
  );

  let closing: Promise<void> | null = null;
  return {
    url,
    api: `${url}/api`,
    runtime,
    server,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await runtime.close();
        // Requests still open after the worker drained get cut.
        server.closeAllConnections();
        await closed;
        logger.info({}, 'server stopped');
      })();
      return closing;
    },
  };
}
