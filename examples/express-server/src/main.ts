/** `npm start`: the reference server on embedded defaults (see README for the environment variables). */
import { JobkitError } from 'jobkit';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    const field = JobkitError.is(e) ? e.details?.['field'] : undefined;
    process.stderr.write(`configuration error${field ? ` in ${String(field)}` : ''}: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  let running;
  try {
    running = await startServer(config, logger);
  } catch (e) {
    logger.fatal({ err: e }, 'start-up failed');
    process.exitCode = JobkitError.is(e, 'INVALID_INPUT') ? 2 : 1;
    return;
  }
  const server = running;
  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'shutting down: finishing in-flight steps');
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

void main();
