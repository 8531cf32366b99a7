import pg from 'pg';
import { JobkitError, invalidInput, type Logger } from 'jobkit';

export interface ConnectionOptions {
  /** An existing pool (yours to end: `close()` leaves it open). */
  pool?: pg.Pool | undefined;
  /** Or a connection string; the store then owns its pool. */
  connectionString?: string | undefined;
  /** Pool size when the store creates the pool. Default 10. */
  poolSize?: number | undefined;
}

export interface OwnedPool {
  pool: pg.Pool;
  /** Whether we created the pool (and therefore end it on close). */
  owned: boolean;
  /** Detaches our listeners (and ends the pool when owned). */
  dispose(): Promise<void>;
}

/**
 * The pool the store talks through. An idle client whose server goes away emits `error` on the pool; with
 * no listener Node would crash the process, so one is always attached (pg drops that client and opens a
 * new one on the next query).
 */
export function openPool(opts: ConnectionOptions, logger: Logger): OwnedPool {
  if (opts.pool !== undefined && opts.connectionString !== undefined) {
    throw invalidInput('pool', 'give either pool or connectionString, not both');
  }
  let pool: pg.Pool;
  let owned = false;
  if (opts.pool !== undefined) {
    if (!(typeof opts.pool === 'object' && typeof (opts.pool as { connect?: unknown }).connect === 'function')) {
      throw invalidInput('pool', 'must be a pg.Pool');
    }
    pool = opts.pool;
  } else {
    if (typeof opts.connectionString !== 'string' || opts.connectionString.length === 0) {
      throw invalidInput('connectionString', 'give a pg.Pool as pool or a postgres:// connection string');
    }
    const size = opts.poolSize ?? 10;
    if (!Number.isInteger(size) || size < 1 || size > 1000) throw invalidInput('poolSize', 'must be an integer 1…1000');
    pool = new pg.Pool({ connectionString: opts.connectionString, max: size, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
    owned = true;
  }
  const onError = (err: Error): void => {
    logger.warn({ err: err.message }, 'postgres idle client error (the pool replaces it)');
  };
  pool.on('error', onError);
  return {
    pool,
    owned,
    async dispose() {
      if (owned) await pool.end();
      pool.off('error', onError);
    },
  };
}

/**
 * Runs `fn` on one checked-out client. A checked-out client is not covered by the pool's error listener,
 * so one is attached for the duration; a client that saw an error is destroyed instead of returned.
 */
export async function withClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error): void => {
    broken = err;
  };
  client.on('error', onError);
  try {
    return await fn(client);
  } catch (err) {
    broken ??= err instanceof Error && isBrokenConnection(err) ? err : undefined;
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken ?? false);
  }
}

/** BEGIN … COMMIT around `fn`; ROLLBACK on any error. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withClient(pool, async (client) => {
    await client.query('BEGIN');
    try {
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  });
}

/** Whether the client may be unusable after `err`: statement errors (SQLSTATE, our own JobkitErrors) leave it fine. */
function isBrokenConnection(err: Error): boolean {
  if (JobkitError.is(err)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code.startsWith('08') || code.startsWith('57P');
  return true;
}
