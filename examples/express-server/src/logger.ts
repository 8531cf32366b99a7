/** pino as the core's Logger port: JSON lines on stdout; secrets are redacted if they ever reach a log. */
import pino from 'pino';
import type { Logger } from 'jobkit';

export function createLogger(level: pino.LevelWithSilent = 'info', destination?: pino.DestinationStream): pino.Logger & Logger {
  return pino(
    {
      level,
      base: { service: 'jobkit-example' },
      redact: { paths: ['token', 'secret', 'authorization', '*.authorization', 'headers.authorization', 'accessToken'], censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}

export interface StdoutLog {
  /** pino's destination. Writing never throws and never blocks the event loop. */
  stream: pino.DestinationStream;
  /** Whether stdout failed (the reader is gone) and lines are being dropped. */
  readonly broken: boolean;
  /** Writes what is buffered, waiting at most `timeoutMs`; later lines are dropped. Call before exiting. */
  close(timeoutMs: number): Promise<void>;
}

/**
 * Log lines to stdout that cannot wedge or crash the process when stdout goes away (a log reader or shipper
 * that exited: EPIPE; a closed descriptor: EBADF). Lines are written asynchronously (a slow reader never
 * blocks the event loop, at most `maxBufferBytes` wait in memory, the rest is dropped); any write error
 * turns logging off instead of throwing. The synchronous flush pino runs on exit is replaced by `close()`:
 * sonic-boom's flushSync retries a write that failed with EPIPE every 100 ms forever, asleep.
 */
export function createStdoutLog(maxBufferBytes = 16 * 1024 * 1024): StdoutLog {
  const stream = pino.destination({ fd: 1, sync: false, maxLength: maxBufferBytes });
  let broken = false;
  let closing: Promise<void> | null = null;
  const write = stream.write.bind(stream);
  const silence = () => {
    broken = true;
    stream.write = () => true;
  };
  stream.write = (line: string) => {
    try {
      return write(line);
    } catch {
      silence();
      return true;
    }
  };
  // Runs on process exit (pino registers it for asynchronous destinations): never block there.
  stream.flushSync = () => undefined;
  // pino handles EPIPE itself; any other error would be re-emitted without a listener and crash the process.
  stream.on('error', silence);
  return {
    stream,
    get broken() {
      return broken;
    },
    close(timeoutMs) {
      closing ??= new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          silence();
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        if (broken) return done();
        stream.once('close', done);
        stream.once('error', done);
        try {
          stream.end();
        } catch {
          done();
        }
      });
      return closing;
    },
  };
}
