import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--conditions=@jobkit/source', '--import', 'tsx', main], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, out: () => out, err: () => err };
}

async function waitFor(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('process lifecycle (npm start)', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s stops the server and the worker and exits 0', { timeout: 60_000 }, async (signal) => {
    dir = await mkdtemp(path.join(tmpdir(), 'jobkit-main-'));
    const p = run({ PORT: '0', JOBKIT_DATA_DIR: dir });
    await waitFor(() => p.out().includes('jobkit example server listening'));
    const listening = JSON.parse(p.out().split('\n').find((l) => l.includes('listening'))!) as { url: string };
    const token = (await readFile(path.join(dir, 'api-token'), 'utf8')).trim();
    expect((await fetch(`${listening.url}/api/jobs`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(p.out()).not.toContain(token);
    p.child.kill(signal);
    expect(await p.exited).toBe(0);
    expect(p.out()).toContain('worker stopped');
    expect(p.out()).toContain('server stopped');
    await expect(fetch(`${listening.url}/api/healthz`)).rejects.toThrow();
  });

  it('exits 2 with a message naming the variable on a bad configuration', { timeout: 60_000 }, async () => {
    const p = run({ PORT: 'abc' });
    expect(await p.exited).toBe(2);
    expect(p.err()).toContain('PORT');
  });
});
