/**
 * The reference server's entry: `npm start` (TypeScript, loaded by tsx in this one process) and, built,
 * `node dist/main.js` (see README for the environment variables and running it in production).
 */
import { JobkitError } from 'jobkit';
import { loadConfig, type Config } from './config.js';
import { createLogger, createStdoutLog } from './logger.js';
import { startServer } from './server.js';
import { stopOnSignals } from './shutdown.js';

/** Beyond the drain timeout: the worker's wait for cancelled steps (≤ 5 s), releasing leases, closing. */
const CLOSE_GRACE_MS = 10_000;
/** How long buffered log lines may take to reach stdout before exiting. */
const LOG_FLUSH_MS = 1_000;

async function main(): Promise<void> {
  // Output that is gone (EPIPE: the reader exited) must neither crash nor block the process; the logger
  // stops writing on its own (createStdoutLog), these cover anything written through process.stdout/stderr.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);

  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    const field = JobkitError.is(e) ? e.details?.['field'] : undefined;
    process.stderr.write(`configuration error${field ? ` in ${String(field)}` : ''}: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const out = createStdoutLog();
  const logger = createLogger(config.logLevel, out.stream);
  const exit = async (code: number) => {
    await out.close(LOG_FLUSH_MS);
    process.exit(code);
  };

  // Installed before start-up, so a signal during start-up stops the server once it is up.
  let started: Promise<Awaited<ReturnType<typeof startServer>> | null> = Promise.resolve(null);
  stopOnSignals({
    logger,
    deadlineMs: config.shutdownTimeoutMs + CLOSE_GRACE_MS,
    stop: async () => {
      const server = await started.catch(() => null);
      await server?.close();
    },
    exit,
  });
  started = startServer(config, logger);
  try {
    await started;
  } catch (e) {
    logger.fatal({ err: e }, 'start-up failed');
    await exit(JobkitError.is(e, 'INVALID_INPUT') ? 2 : 1);
  }
}

void main();
