import { JobkitError } from 'jobkit';

/** The `code` better-sqlite3 puts on its SqliteError (extended result code names, e.g. SQLITE_BUSY_SNAPSHOT). */
function sqliteCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** Lock contention that outlived busy_timeout: safe to retry the whole operation. */
export function isBusy(error: unknown): boolean {
  const code = sqliteCodeOf(error);
  return code !== undefined && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/**
 * Maps anything thrown by better-sqlite3 to a JobkitError naming the database file. JobkitErrors pass
 * through. Busy/IO/full are retryable STORAGE_FAILED; a corrupt, foreign or read-only file is not.
 */
export function toJobkitError(error: unknown, filename: string, operation: string): JobkitError {
  if (JobkitError.is(error)) return error;
  const code = sqliteCodeOf(error);
  const text = error instanceof Error ? error.message : String(error);
  const where = `SQLite ${operation} on ${filename}`;
  const details = { filename, operation, ...(code ? { sqliteCode: code } : {}) };
  if (code === undefined) {
    return new JobkitError('STORAGE_FAILED', `${where} failed: ${text}`, { cause: error, details, retryable: false });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new JobkitError('STORAGE_FAILED', `${where} failed: the database stayed locked (${text})`, { cause: error, details, retryable: true });
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL' || code === 'SQLITE_PROTOCOL') {
    return new JobkitError('STORAGE_FAILED', `${where} failed: I/O error (${text})`, { cause: error, details, retryable: true });
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new JobkitError('STORAGE_FAILED', `${filename} is not a valid SQLite database (${text}); it was left untouched`, {
      cause: error,
      details,
      retryable: false,
    });
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return new JobkitError('STORAGE_FAILED', `${filename} cannot be opened for writing (${text}); check the file and directory permissions`, {
      cause: error,
      details,
      retryable: false,
    });
  }
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
    return new JobkitError('CONFLICT', `${where}: ${text}`, { cause: error, details });
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new JobkitError('NOT_FOUND', `${where}: the referenced job does not exist (${text})`, { cause: error, details });
  }
  if (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG' || code === 'SQLITE_RANGE') {
    return new JobkitError('INVALID_INPUT', `${where} rejected a value: ${text}`, { cause: error, details });
  }
  return new JobkitError('STORAGE_FAILED', `${where} failed: ${text}`, { cause: error, details, retryable: false });
}
