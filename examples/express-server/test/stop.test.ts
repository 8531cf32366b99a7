/**
 * Stopping the real server process, as an operator or a supervisor does: `npm start` and the built entry
 * (`node dist/main.js`), signalled by process group (Ctrl-C, `kill -TERM -<pgid>`: every process of the group,
 * npm included, gets it — and npm relays it once more) and by PID, with stdout open and with stdout closed
 * (the log reader is gone). Two jobs are mid-step (their photo downloads are held open by the test) when the
 * signal comes; one download is answered after the signal, the other never. Either way the process must exit
 * 0 within the drain timeout, the answered step must have finished, and no job may be left leased.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook, type Job } from 'jobkit';
import { createSqliteJobStore } from '@jobkit/adapter-sqlite';
import { writePlaceholderSamples } from './helpers.js';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = path.resolve(exampleDir, '../..');
const TOKEN = 'stop-test-api-token-0123456789';
const SECRET = 'stop-test-webhook-secret-0123456789';
const DRAIN_MS = 4_000;
/** Start-up of a TypeScript-loaded server on a busy machine, plus the drain, plus closing. */
const EXIT_WITHIN_MS = DRAIN_MS + 15_000;

type Entry = 'npm start' | 'built';

interface Launched {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
  out(): string;
  err(): string;
}

let dir = '';
const children: ChildProcess[] = [];

function launch(entry: Entry, env: Record<string, string>): Launched {
  const [command, args] = entry === 'npm start' ? ['npm', ['start']] : [process.execPath, ['dist/main.js']];
  const child = spawn(command, args, {
    cwd: exampleDir,
    // A clean environment: nothing from the test runner (NODE_OPTIONS, npm_* of an outer npm).
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? tmpdir(), npm_config_update_notifier: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, as a shell job or a service is: `kill -<pgid>` reaches every process in it.
    detached: true,
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, atMs: Date.now() })),
  );
  return { child, exited, out: () => out, err: () => err };
}

/** Whether any process of the group is still alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor<T>(check: () => T | undefined | false, what: string, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Serves the sample photos, but holds every response until the test releases it. */
async function heldPhotoServer(photos: Record<string, Buffer>) {
  const held = new Map<string, http.ServerResponse>();
  const server = http.createServer((req, res) => {
    held.set(path.basename(req.url ?? ''), res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: (name: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/${name}`,
    held,
    release(name: string) {
      held.get(name)!.writeHead(200, { 'content-type': 'image/jpeg' }).end(photos[name]);
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

let photos: Record<string, Buffer> = {};

beforeAll(async () => {
  const samples = await mkdtemp(path.join(tmpdir(), 'jobkit-stop-samples-'));
  await writePlaceholderSamples(samples, [
    { name: 'HELD-A.jpg', color: '#c0392b', shape: 'circle' },
    { name: 'HELD-B.jpg', color: '#2471a3', shape: 'rect' },
  ]);
  photos = { 'HELD-A.jpg': await readFile(path.join(samples, 'HELD-A.jpg')), 'HELD-B.jpg': await readFile(path.join(samples, 'HELD-B.jpg')) };
  await rm(samples, { recursive: true, force: true });
});

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.pid !== undefined && groupAlive(c.pid)) process.kill(-c.pid, 'SIGKILL');
  }
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

async function stopMidStep(entry: Entry, how: 'group' | 'pid', stdout: 'open' | 'closed'): Promise<void> {
  dir = await mkdtemp(path.join(tmpdir(), 'jobkit-stop-'));
  const photoServer = await heldPhotoServer(photos);
  try {
    const p = launch(entry, {
      PORT: '0',
      JOBKIT_DATA_DIR: dir,
      JOBKIT_API_TOKEN: TOKEN,
      JOBKIT_WEBHOOK_SECRET: SECRET,
      JOBKIT_ALLOW_PRIVATE_IMAGE_URLS: '1',
      JOBKIT_WORKER_CONCURRENCY: '2',
      JOBKIT_SHUTDOWN_TIMEOUT_MS: String(DRAIN_MS),
    });
    const listening = await waitFor(
      () =>
        p
          .out()
          .split('\n')
          .find((l) => l.includes('jobkit example server listening')),
      `the server to listen (stderr: ${p.err()})`,
    );
    const { url } = JSON.parse(listening) as { url: string };

    const ids: string[] = [];
    for (const name of ['HELD-A.jpg', 'HELD-B.jpg']) {
      const body = JSON.stringify({
        sku: name.replace('.jpg', ''),
        sha256: createHash('sha256').update(photos[name]!).digest('hex'),
        imageUrl: photoServer.url(name),
      });
      const res = await fetch(`${url}/api/webhooks/3jms/images`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signWebhook({ body, secret: SECRET }) },
        body,
      });
      expect(res.status).toBe(201);
      ids.push(((await res.json()) as { job: Job }).job.id);
    }
    // Both jobs are mid-step: the worker is waiting for their photos.
    await waitFor(() => photoServer.held.size === 2, 'both downloads to start');

    if (stdout === 'closed') {
      p.child.stdout!.destroy();
      await new Promise((r) => setTimeout(r, 100));
    }
    // Where each job stood when the signal came.
    const before = await Promise.all(
      ids.map(async (id) => ((await (await fetch(`${url}/api/jobs/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { job: Job }).job),
    );
    const pid = p.child.pid!;
    const signalledAt = Date.now();
    if (how === 'group') process.kill(-pid, 'SIGTERM');
    else process.kill(pid, 'SIGTERM');
    // One step can finish within the drain timeout; the other never gets its photo.
    await new Promise((r) => setTimeout(r, 500));
    photoServer.release('HELD-A.jpg');

    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), EXIT_WITHIN_MS));
    const exit = await Promise.race([p.exited, timeout]);
    expect(exit, `still running ${EXIT_WITHIN_MS} ms after the signal; stdout: ${p.out().slice(-2000)} stderr: ${p.err().slice(-2000)}`).not.toBe('timeout');
    const { code, atMs } = exit as Exclude<typeof exit, 'timeout'>;
    expect(code, `stdout: ${p.out().slice(-3000)}\nstderr: ${p.err().slice(-3000)}`).toBe(0);
    expect(atMs - signalledAt).toBeLessThan(EXIT_WITHIN_MS);
    // Nothing of the group is left behind.
    await waitFor(() => !groupAlive(pid), 'every process of the group to end', 5_000);
    if (stdout === 'open') {
      expect(p.out()).toContain('shutting down: finishing in-flight steps');
      expect(p.out()).toContain('server stopped');
      expect(p.out()).not.toContain('exiting now');
    }

    const store = createSqliteJobStore({ filename: path.join(dir, 'jobkit.db') });
    try {
      const [a, b] = await Promise.all(ids.map((id) => store.get(id)));
      // The answered step finished and was recorded (the photo is stored, the job moved on); the other was
      // cancelled at the drain timeout and left where it was, to be claimed again.
      expect(a!.originalKey, `${JSON.stringify(a)}\n${p.out().slice(-3000)}`).not.toBeNull();
      expect(a!.status).not.toBe(before[0]!.status);
      expect(b!.originalKey).toBeNull();
      expect(b!.status).toBe(before[1]!.status);
      for (const job of [a!, b!]) expect([job.leaseOwner, job.leaseExpiresAt], job.id).toEqual([null, null]);
    } finally {
      await store.close();
    }
  } finally {
    await photoServer.close();
  }
}

/** The log reader goes away and nothing is in flight: the stop must not wait on stdout (it used to sleep forever). */
async function stopIdleWithStdoutClosed(entry: Entry): Promise<void> {
  dir = await mkdtemp(path.join(tmpdir(), 'jobkit-stop-'));
  const p = launch(entry, { PORT: '0', JOBKIT_DATA_DIR: dir, JOBKIT_SHUTDOWN_TIMEOUT_MS: String(DRAIN_MS) });
  await waitFor(() => p.out().includes('jobkit example server listening'), `the server to listen (stderr: ${p.err()})`);
  p.child.stdout!.destroy();
  await new Promise((r) => setTimeout(r, 100));
  const signalledAt = Date.now();
  process.kill(p.child.pid!, 'SIGTERM');
  const exit = await Promise.race([p.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), DRAIN_MS + 5_000))]);
  expect(exit, `still running; stderr: ${p.err()}`).not.toBe('timeout');
  expect((exit as Exclude<typeof exit, 'timeout'>).code).toBe(0);
  // Nothing to drain: done well before the drain timeout.
  expect((exit as Exclude<typeof exit, 'timeout'>).atMs - signalledAt).toBeLessThan(DRAIN_MS);
}

const cases = (['group', 'pid'] as const).flatMap((how) => (['open', 'closed'] as const).map((stdout) => [how, stdout] as const));

describe('stopping `npm start` mid-step', () => {
  it.each(cases)('SIGTERM by %s, stdout %s: in-flight steps finish or are released, exit 0 within the timeout', { timeout: 120_000 }, async (how, stdout) => {
    await stopMidStep('npm start', how, stdout);
  });

  it('stdout closed, nothing in flight: SIGTERM ends it at once', { timeout: 60_000 }, async () => {
    await stopIdleWithStdoutClosed('npm start');
  });
});

describe('stopping the built entry (node dist/main.js) mid-step', () => {
  beforeAll(() => {
    // The entry imports the workspace packages by name, which resolve to their dist/ builds (`npm test`
    // builds them first). This builds only the example's own entry.
    for (const pkg of ['jobkit', 'adapter-sqlite', 'adapter-express', 'provider-sharp']) {
      const main = path.join(repoRoot, 'packages', pkg, 'dist', 'index.js');
      if (!existsSync(main)) throw new Error(`${main} is missing: run "npm run build" first`);
    }
    const build = spawnSync('npm', ['run', 'build'], { cwd: exampleDir, encoding: 'utf8', timeout: 110_000 });
    expect(build.status, `${build.stdout}${build.stderr}`).toBe(0);
  }, 120_000);

  it.each(cases)('SIGTERM by %s, stdout %s: in-flight steps finish or are released, exit 0 within the timeout', { timeout: 120_000 }, async (how, stdout) => {
    await stopMidStep('built', how, stdout);
  });

  it('stdout closed, nothing in flight: SIGTERM ends it at once', { timeout: 60_000 }, async () => {
    await stopIdleWithStdoutClosed('built');
  });
});

describe('process lifecycle', () => {
  it('SIGINT (Ctrl-C) stops the server and the worker, logs no secret, exits 0', { timeout: 60_000 }, async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'jobkit-stop-'));
    const p = launch('npm start', { PORT: '0', JOBKIT_DATA_DIR: dir });
    const listening = await waitFor(
      () =>
        p
          .out()
          .split('\n')
          .find((l) => l.includes('jobkit example server listening')),
      'the server to listen',
    );
    const { url } = JSON.parse(listening) as { url: string };
    const token = (await readFile(path.join(dir, 'api-token'), 'utf8')).trim();
    expect((await fetch(`${url}/api/jobs`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(p.out()).not.toContain(token);
    process.kill(-p.child.pid!, 'SIGINT');
    expect((await p.exited).code).toBe(0);
    expect(p.out()).toContain('worker stopped');
    expect(p.out()).toContain('server stopped');
    await expect(fetch(`${url}/api/healthz`)).rejects.toThrow();
  });

  it('exits 2 with a message naming the variable on a bad configuration', { timeout: 60_000 }, async () => {
    const p = launch('npm start', { PORT: 'abc' });
    expect((await p.exited).code).toBe(2);
    expect(p.err()).toContain('PORT');
  });
});
