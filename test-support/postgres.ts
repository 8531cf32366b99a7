/**
 * Throwaway PostgreSQL clusters for tests and benchmarks: initdb into a temp dir, pg_ctl start on a free
 * port (fsync off, 127.0.0.1 only, socket in a private dir), stop + delete afterwards. As root, the server
 * binaries refuse to run, so they run as the `postgres` user (runuser) with the temp dirs chowned to it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, chownSync, chmodSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_BIN_DIR = process.env.JOBKIT_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust auth). */
  url: string;
  port: number;
  dataDir: string;
  /** pg_ctl restart (fast shutdown: every connection is dropped), waits until it accepts connections. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function postgresBinariesAvailable(): boolean {
  return existsSync(join(PG_BIN_DIR, 'initdb')) && existsSync(join(PG_BIN_DIR, 'pg_ctl'));
}

function run(cmd: string, args: string[], asUser: string | null): Promise<string> {
  const [file, argv] = asUser ? ['runuser', ['-u', asUser, '--', cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function postgresUid(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root but there is no "postgres" user to run the server as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Starts a fresh cluster. ~1–2 s. */
export async function startPostgresCluster(opts: { maxConnections?: number } = {}): Promise<PostgresCluster> {
  if (!postgresBinariesAvailable()) throw new Error(`PostgreSQL binaries not found in ${PG_BIN_DIR}`);
  const root = process.getuid?.() === 0;
  const user = root ? 'postgres' : null;
  const base = mkdtempSync(join(tmpdir(), 'jobkit-pg-'));
  const dataDir = join(base, 'data');
  const sockDir = join(base, 'sock');
  const logFile = join(base, 'server.log');
  if (root) {
    const { uid, gid } = postgresUid();
    chownSync(base, uid, gid);
    chmodSync(base, 0o700);
  }
  await run(join(PG_BIN_DIR, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], user);
  await run('mkdir', ['-p', sockDir], user);
  const port = await freePort();
  const serverOpts = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-k ${sockDir}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    `-c max_connections=${opts.maxConnections ?? 300}`,
  ].join(' ');
  const pgCtl = join(PG_BIN_DIR, 'pg_ctl');
  try {
    await run(pgCtl, ['-D', dataDir, '-o', serverOpts, '-l', logFile, '-w', '-t', '60', 'start'], user);
  } catch (err) {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '(no server log)';
    rmSync(base, { recursive: true, force: true });
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nserver log:\n${log}`);
  }
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    // Without -o, pg_ctl restart reuses the options recorded in postmaster.opts.
    restart: async () => {
      await run(pgCtl, ['-D', dataDir, '-m', 'fast', '-l', logFile, '-w', '-t', '60', 'restart'], user);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await run(pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', 'stop'], user).catch(() => undefined);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Replaces the database name in a postgres URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A fresh database on the server at `url` (one per test file, so files run in parallel). */
export async function createTestDatabase(url: string, prefix = 'test'): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `jk_${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(url, name),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        // Let the file's own connections finish closing first: FORCE would kill a client that is still
        // ending, and its 57P01 error then surfaces in the test process as an unhandled error.
        for (let i = 0; i < 100; i++) {
          const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
          if (rows[0]!.n === 0) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Environment variable carrying the server URL to test processes. */
export const PG_URL_ENV = 'JOBKIT_TEST_PG_URL';

/** Whether a missing server must fail the run instead of skipping (CI, or JOBKIT_REQUIRE_PG=1). */
export function postgresRequired(): boolean {
  const ci = process.env.CI;
  return (ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false') || process.env.JOBKIT_REQUIRE_PG === '1';
}

/**
 * For test files: the server URL, or why the Postgres tests are skipped. Throws (failing the file) when
 * no server is available but one is required.
 */
export function postgresTestTarget(): { url: string; skipReason?: undefined } | { url?: undefined; skipReason: string } {
  const url = process.env[PG_URL_ENV];
  if (url) return { url };
  const reason = postgresBinariesAvailable()
    ? `${PG_URL_ENV} is unset and the global setup did not start a server (see its warning)`
    : `${PG_URL_ENV} is unset and no PostgreSQL binaries in ${PG_BIN_DIR}`;
  if (postgresRequired()) throw new Error(`PostgreSQL tests are required (CI or JOBKIT_REQUIRE_PG=1) but no server is available: ${reason}`);
  console.warn(`[adapter-postgres] SKIPPING PostgreSQL tests: ${reason}. Set ${PG_URL_ENV}=postgres://… to run them.`);
  return { skipReason: reason };
}

/**
 * Global-setup hook: when no server URL is given and the binaries exist, start one cluster for the whole
 * run and publish its URL through the environment (forked test workers inherit it). Returns a teardown.
 */
export async function startSharedPostgres(): Promise<(() => Promise<void>) | null> {
  if (process.env[PG_URL_ENV] || !postgresBinariesAvailable()) return null;
  try {
    const cluster = await startPostgresCluster();
    process.env[PG_URL_ENV] = cluster.url;
    return async () => {
      delete process.env[PG_URL_ENV];
      await cluster.stop();
    };
  } catch (err) {
    console.warn(`[global-setup] could not start PostgreSQL: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}
