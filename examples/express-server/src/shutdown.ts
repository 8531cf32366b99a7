/**
 * How the process stops on SIGTERM / SIGINT. The first signal starts the graceful stop (stop accepting
 * requests, let in-flight steps finish within the drain timeout, release leases, close the store); every
 * later one is logged and otherwise ignored. A signal to the process group reaches the server more than
 * once — directly and relayed by npm (or a TypeScript runner, or a supervisor) tens of milliseconds later —
 * and a copy cannot be told apart from an operator's second Ctrl-C, so no signal cuts the drain short: the
 * drain timeout bounds it, and SIGKILL stays the way to stop at once (leases then expire and steps re-run).
 * A deadline after the drain timeout ends the process even if closing hangs (an unreachable database).
 */
import type { Logger } from 'jobkit';

export interface StopOnSignalsOptions {
  /** The graceful stop: resolves once the worker drained and the store closed. */
  stop(): Promise<void>;
  logger: Logger;
  /** Exit anyway after this long (the drain timeout plus time to release leases and close). */
  deadlineMs: number;
  /** Ends the process (flush logs, process.exit). Called once. */
  exit(code: number): void | Promise<void>;
  signals?: NodeJS.Signals[];
  /** Default: the real process. */
  target?: Pick<NodeJS.Process, 'on'>;
}

/** Installs the handlers; returns `stopping()` (whether a stop began) for tests and diagnostics. */
export function stopOnSignals(opts: StopOnSignalsOptions): { stopping(): boolean } {
  const { logger } = opts;
  // A logger whose output is gone must not turn the stop into a crash.
  const log = (fn: () => void) => {
    try {
      fn();
    } catch {
      // logging is best effort here
    }
  };
  let stopping = false;
  let exited = false;
  const exit = (code: number) => {
    if (exited) return;
    exited = true;
    void Promise.resolve()
      .then(() => opts.exit(code))
      .catch(() => undefined);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(() => logger.info({ signal }, 'already stopping: in-flight steps finish within the drain timeout (SIGKILL stops at once)'));
      return;
    }
    stopping = true;
    log(() => logger.info({ signal }, 'shutting down: finishing in-flight steps'));
    const deadline = setTimeout(() => {
      log(() => logger.error({ deadlineMs: opts.deadlineMs }, 'shutdown did not finish in time: exiting'));
      exit(1);
    }, opts.deadlineMs);
    opts.stop().then(
      () => {
        clearTimeout(deadline);
        exit(0);
      },
      (e: unknown) => {
        clearTimeout(deadline);
        log(() => logger.error({ err: e }, 'shutdown failed'));
        exit(1);
      },
    );
  };
  const target = opts.target ?? process;
  for (const s of opts.signals ?? ['SIGTERM', 'SIGINT']) target.on(s, onSignal);
  return { stopping: () => stopping };
}
