import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_REVIEW_MIN_SCORE, JobkitError } from 'jobkit';
import { loadConfig, publicOrigin } from '../src/config.js';
import { loadOrCreateSecret } from '../src/secrets.js';
import { slowDownFileWrites } from './fixtures/slow-writes.js';

const fieldOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(JobkitError.is(e, 'INVALID_INPUT')).toBe(true);
    return String((e as JobkitError).details?.['field']);
  }
  throw new Error('expected a throw');
};

describe('loadConfig', () => {
  it('has embedded defaults', () => {
    const c = loadConfig({}, '/srv/app');
    expect(c).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      dataDir: '/srv/app/data',
      webhookSecrets: [],
      apiTokens: [],
      worker: true,
      autoStart: true,
      allowPrivateImageUrls: false,
      maxImagesPerSku: undefined,
      publicUrl: undefined,
      production: false,
      review: 'doubtful',
      reviewMinScore: DEFAULT_REVIEW_MIN_SCORE,
      workerConcurrency: 4,
      derivativeFormats: [],
      imageThreads: undefined,
      imageMaxPixels: undefined,
    });
    expect(publicOrigin(c, 4000)).toBe('http://127.0.0.1:4000');
    expect(publicOrigin({ ...c, host: '0.0.0.0' }, 81)).toBe('http://127.0.0.1:81');
  });

  it('image settings: derivative formats opt-in, pool threads and pixel budget', () => {
    expect(loadConfig({ JOBKIT_DERIVATIVE_FORMATS: 'webp, avif,webp', JOBKIT_IMAGE_THREADS: '3', JOBKIT_IMAGE_MAX_PIXELS: '50000000' })).toMatchObject({
      derivativeFormats: ['webp', 'avif'],
      imageThreads: 3,
      imageMaxPixels: 50_000_000,
    });
    expect(fieldOf(() => loadConfig({ JOBKIT_DERIVATIVE_FORMATS: 'webp,heic' }))).toBe('JOBKIT_DERIVATIVE_FORMATS');
    expect(fieldOf(() => loadConfig({ JOBKIT_IMAGE_THREADS: '0' }))).toBe('JOBKIT_IMAGE_THREADS');
  });

  it('reads every variable, with the seed alias and comma-separated rotation lists', () => {
    const c = loadConfig(
      {
        PORT: '0',
        HOST: '0.0.0.0',
        JOBKIT_DATA_DIR: '/var/lib/jobkit',
        JOBKIT_WEBHOOK_SECRET: 'secret-number-one-xx, secret-number-two-xx',
        JOBKIT_API_TOKEN: 'token-aaaaaaaaaaaaaaaa',
        IMAGE_MAX_PER_SKU: '8',
        JOBKIT_ALLOW_PRIVATE_IMAGE_URLS: '1',
        JOBKIT_WORKER: '0',
        JOBKIT_PUBLIC_URL: 'https://jobs.example.com/',
        NODE_ENV: 'production',
        UNRELATED: 'x',
      },
      '/',
    );
    expect(c).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      dataDir: '/var/lib/jobkit',
      webhookSecrets: ['secret-number-one-xx', 'secret-number-two-xx'],
      apiTokens: ['token-aaaaaaaaaaaaaaaa'],
      maxImagesPerSku: 8,
      allowPrivateImageUrls: true,
      worker: false,
      // An API-only replica still creates runnable jobs (a worker elsewhere claims them).
      autoStart: true,
      publicUrl: 'https://jobs.example.com',
      production: true,
    });
    expect(loadConfig({ JOBKIT_IMAGE_MAX_PER_SKU: '3', JOBKIT_WORKER: 'false', JOBKIT_AUTO_START: 'yes' })).toMatchObject({
      maxImagesPerSku: 3,
      worker: false,
      autoStart: true,
    });
    expect(loadConfig({ JOBKIT_AUTO_START: '0' })).toMatchObject({ worker: true, autoStart: false });
    expect(loadConfig({ JOBKIT_REVIEW: ' Always ', JOBKIT_REVIEW_MIN_SCORE: '0.75' })).toMatchObject({ review: 'always', reviewMinScore: 0.75 });
    expect(loadConfig({ JOBKIT_REVIEW: 'never' }).review).toBe('never');
    expect(loadConfig({ PORT: '' }).port).toBe(4000);
  });

  it('fails naming the variable', () => {
    expect(fieldOf(() => loadConfig({ PORT: 'eighty' }))).toBe('PORT');
    expect(fieldOf(() => loadConfig({ PORT: '70000' }))).toBe('PORT');
    expect(fieldOf(() => loadConfig({ JOBKIT_WORKER: 'maybe' }))).toBe('JOBKIT_WORKER');
    expect(fieldOf(() => loadConfig({ JOBKIT_IMAGE_MAX_PER_SKU: '0' }))).toBe('JOBKIT_IMAGE_MAX_PER_SKU');
    expect(fieldOf(() => loadConfig({ JOBKIT_IMAGE_MAX_PER_SKU: '3', IMAGE_MAX_PER_SKU: '4' }))).toBe('IMAGE_MAX_PER_SKU');
    expect(fieldOf(() => loadConfig({ JOBKIT_PUBLIC_URL: 'ftp://x' }))).toBe('JOBKIT_PUBLIC_URL');
    expect(fieldOf(() => loadConfig({ JOBKIT_PUBLIC_URL: 'https://x.example.com/api' }))).toBe('JOBKIT_PUBLIC_URL');
    expect(fieldOf(() => loadConfig({ JOBKIT_API_TOKEN: 'short' }))).toBe('JOBKIT_API_TOKEN');
    expect(fieldOf(() => loadConfig({ JOBKIT_WEBHOOK_SECRET: 'long-enough-secret-1,short' }))).toBe('JOBKIT_WEBHOOK_SECRET');
    expect(fieldOf(() => loadConfig({ LOG_LEVEL: 'loud' }))).toBe('LOG_LEVEL');
    expect(fieldOf(() => loadConfig({ JOBKIT_REVIEW: 'sometimes' }))).toBe('JOBKIT_REVIEW');
    expect(fieldOf(() => loadConfig({ JOBKIT_REVIEW_MIN_SCORE: '1.5' }))).toBe('JOBKIT_REVIEW_MIN_SCORE');
    expect(fieldOf(() => loadConfig({ JOBKIT_REVIEW_MIN_SCORE: 'high' }))).toBe('JOBKIT_REVIEW_MIN_SCORE');
  });
});

describe('loadOrCreateSecret', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates a 0600 file once and reuses it; tightens loose permissions', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'jobkit-secret-'));
    const file = path.join(dir, 'api-token');
    const first = await loadOrCreateSecret(file);
    expect(first.created).toBe(true);
    expect(first.value).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const [a, b] = await Promise.all([loadOrCreateSecret(file), loadOrCreateSecret(file)]);
    expect([a.value, b.value, a.created]).toEqual([first.value, first.value, false]);
    await chmod(file, 0o644);
    await loadOrCreateSecret(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trim()).toBe(first.value);
    await writeFile(file, 'tiny');
    await expect(loadOrCreateSecret(file)).rejects.toThrow(/at least 16/);
  });

  it('many concurrent creators agree on one complete secret, also on a slow disk (no reader sees an empty file)', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'jobkit-secret-'));
    const restore = await slowDownFileWrites(20);
    try {
      await manyCreators();
    } finally {
      restore();
    }
    await rm(dir, { recursive: true, force: true });
    dir = await mkdtemp(path.join(tmpdir(), 'jobkit-secret-'));
    await manyCreators();
  });

  async function manyCreators(): Promise<void> {
    for (let round = 0; round < 20; round++) {
      const file = path.join(dir, `secret-${round}`);
      const results = await Promise.allSettled(Array.from({ length: 30 }, () => loadOrCreateSecret(file)));
      const values = results.map((r) => (r.status === 'fulfilled' ? r.value.value : `rejected: ${(r.reason as Error).message}`));
      expect(new Set(values).size, values.find((v) => v.startsWith('rejected')) ?? '').toBe(1);
      expect(values[0]).toMatch(/^[0-9a-f]{64}$/);
      expect(results.filter((r) => r.status === 'fulfilled' && r.value.created)).toHaveLength(1);
      expect((await readFile(file, 'utf8')).trim()).toBe(values[0]);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
    }
    // No temp files left behind.
    expect((await readdir(dir)).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `secret-${i}`).sort());
  }

  it('processes started at the same moment on one data directory agree on every secret', { timeout: 120_000 }, async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'jobkit-secret-'));
    const files = path.join(dir, 'files');
    await mkdir(files);
    const child = fileURLToPath(new URL('./fixtures/create-secret.ts', import.meta.url));
    const go = path.join(dir, 'go');
    const rounds = 40;
    const runs = Array.from(
      { length: 4 },
      () =>
        new Promise<{ values?: string[]; created?: number; error?: string }>((resolve, reject) => {
          execFile(
            process.execPath,
            ['--conditions=@jobkit/source', '--import', 'tsx', child, files, go, String(rounds)],
            { timeout: 100_000 },
            (err, stdout, stderr) => {
              if (err) reject(new Error(`${err.message}\n${stderr}`));
              else resolve(JSON.parse(stdout) as { values?: string[]; created?: number; error?: string });
            },
          );
        }),
    );
    // Release the children together once every one has loaded.
    const deadline = Date.now() + 60_000;
    while ((await readdir(dir)).filter((f) => f.startsWith('go.ready.')).length < 4) {
      if (Date.now() > deadline) throw new Error('children did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
    await writeFile(go, '');
    const outcomes = await Promise.all(runs);
    for (const o of outcomes) expect(o.error).toBeUndefined();
    for (let i = 0; i < rounds; i++) {
      const value = outcomes[0]!.values![i]!;
      expect(
        outcomes.map((o) => o.values![i]),
        `secret-${i}`,
      ).toEqual(Array(4).fill(value));
      expect((await readFile(path.join(files, `secret-${i}`), 'utf8')).trim()).toBe(value);
    }
    expect(outcomes.reduce((n, o) => n + o.created!, 0)).toBe(rounds);
    // No temp files left behind.
    expect((await readdir(files)).length).toBe(rounds);
  });
});
