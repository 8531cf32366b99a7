#!/usr/bin/env node
/**
 * The `jobkit` executable. First Ctrl-C: stop gracefully (in-flight steps finish, summary printed,
 * exit 130). Second Ctrl-C: quit at once.
 */
import { main } from './main.js';
import { EXIT } from './io.js';

const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(EXIT.INTERRUPTED);
  process.stderr.write('\nStopping: letting in-flight steps finish (Ctrl-C again to quit now)…\n');
  interrupt.abort();
});

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), signal: interrupt.signal }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`jobkit: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = EXIT.FAILURE;
  },
);
