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
