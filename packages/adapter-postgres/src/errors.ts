import { JobkitError } from 'jobkit';

/** SQLSTATE classes and codes after which the same statement may well succeed later. */
const RETRYABLE_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '53300', // too_many_connections
  '57P01', // admin_shutdown (server restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up / shutting down)
  '57014', // query_canceled (statement_timeout)
]);

const RETRYABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ECONNABORTED']);

// node-postgres reports lost connections as plain Errors with these messages (no code).
const CONNECTION_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /client has encountered a connection error/i,
  /connection.*(closed|ended)/i,
  /not queryable/i,
];

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** True for errors where the connection (not the statement) failed: retry after the pool reconnects. */
export function isConnectionError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && RETRYABLE_NODE_CODES.has(code)) return true;
  const state = sqlState(err);
  if (state !== undefined) return state.startsWith('08') || state.startsWith('57P');
  const message = err instanceof Error ? err.message : '';
  return CONNECTION_MESSAGES.some((re) => re.test(message));
}

/**
 * Maps anything a pg call threw to a JobkitError: JobkitErrors pass through, a unique violation is a
 * CONFLICT, everything else is STORAGE_FAILED — retryable for lost connections, restarts, deadlocks and
 * serialization failures, not for errors a retry cannot fix (e.g. a missing table: run the migrations).
 */
export function toJobkitError(err: unknown, operation: string): JobkitError {
  if (JobkitError.is(err)) return err;
  const state = sqlState(err);
  const text = err instanceof Error ? err.message : String(err);
  if (state === '23505') return new JobkitError('CONFLICT', `${operation}: ${text}`, { cause: err, details: { sqlState: state } });
  const retryable = isConnectionError(err) || (state !== undefined && (RETRYABLE_SQLSTATES.has(state) || state.startsWith('08')));
  const hint = state === '42P01' || state === '3F000' ? ' (is the schema migrated? run migratePostgres)' : '';
  return new JobkitError('STORAGE_FAILED', `postgres ${operation} failed: ${text}${hint}`, {
    retryable,
    cause: err,
    ...(state !== undefined ? { details: { sqlState: state } } : {}),
  });
}
