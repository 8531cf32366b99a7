/** Runs `main` in-process with captured streams, and the real bin in a child process. */
import { spawn } from 'node:child_process';
import { mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { main, type CliIo } from '../../src/index.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
  fetch?: CliIo['fetch'];
}

export async function runCli(args: string[], opts: RunOptions): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: opts.env ?? {},
    cwd: opts.cwd,
    signal: opts.signal,
    fetch: opts.fetch,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** Parses the single JSON document a `--json` run printed. */
export function json<T = Record<string, unknown>>(result: CliResult): T {
  return JSON.parse(result.stdout) as T;
}

export const BIN = fileURLToPath(new URL('../../src/bin.ts', import.meta.url));
// --import resolves against the child's cwd (a temp dir): pass tsx as an absolute file URL.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** The real executable: node --conditions=@jobkit/source --import tsx src/bin.ts … */
export function spawnBin(args: string[], cwd: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--conditions=@jobkit/source', '--import', TSX, BIN, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr }));
  });
  return { child, done, output: () => ({ stdout, stderr }) };
}

export function tmpDir(prefix = 'jobkit-cli-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

/** Storefront files of a SKU (manifest excluded). */
export async function storefrontFiles(outDir: string, sku: string): Promise<string[]> {
  try {
    return (await fs.readdir(path.join(outDir, sku))).filter((f) => f !== 'manifest.json').sort();
  } catch {
    return [];
  }
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 20_000, everyMs = 20): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
