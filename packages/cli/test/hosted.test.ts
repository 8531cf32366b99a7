/**
 * Local first, hosted when needed, from the command line: with REPLICATE_API_TOKEN set the pipeline's
 * segmenter is the chain [sharp studio segmenter, Replicate]. Runs in-process on the real embedded pipeline
 * with the real `replicate` client talking to provider-replicate's contract fake on 127.0.0.1 (the CLI's
 * io.fetch sends api.replicate.com there): Replicate is called — and paid — only for the photo the local
 * segmenter refuses, and for a cut an operator rejects with --retry-with hosted.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeReplicate } from '../../provider-replicate/test/support/fake-replicate.js';
import { FAST, busyPhoto, writePhotos } from './support/photos.js';
import { json, removeDir, runCli, storefrontFiles, tmpDir } from './support/cli.js';

const SEGMENT_VERSION = 'a029dff38972b5fda4ec5d75d7d1cd25aeff621d2cf4946a41055d7db66b80bc';

interface RunJson {
  counts: { total: number; done: number; skipped: number; failed: number; held: number };
  segmenter: string;
  exitCode: number;
  jobs: Array<{ id: string; sku: string; status: string; errorCode: string | null; errorMessage: string | null }>;
}

interface JobJson {
  id: string;
  sku: string;
  status: string;
  costUsd: number;
  quality: { score: number; reasons: string[] } | null;
}

/** The photo's own pixels inside a centred ellipse, transparent outside: what a background remover returns. */
async function cutoutOf(image: Buffer): Promise<Buffer> {
  const { width = 1, height = 1 } = await sharp(image).metadata();
  const mask = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><ellipse cx="${width / 2}" cy="${height / 2}" rx="${width / 5}" ry="${height / 4}" fill="#fff"/></svg>`,
  );
  return sharp(image)
    .ensureAlpha()
    .composite([{ input: mask, blend: 'dest-in' }])
    .png()
    .toBuffer();
}

describe('the CLI with Replicate configured: local first, hosted when needed', () => {
  let root: string;
  let fake: FakeReplicate;
  const seen: string[] = [];
  // The network of the CLI process: Replicate's API host is the fake; everything else passes through.
  const network = (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    seen.push(url);
    const target = url.replace(/^https:\/\/api\.replicate\.com\/v1/, fake.baseUrl);
    return fetch(input instanceof Request ? new Request(target, input) : target, init);
  };
  const env = () => ({
    JOBKIT_DATA_DIR: 'data',
    REPLICATE_API_TOKEN: fake.token,
    // A server's webhook settings in the same environment must not put the CLI in webhook mode.
    JOBKIT_PUBLIC_URL: 'http://127.0.0.1:9',
    JOBKIT_REPLICATE_WEBHOOK_SECRET: fake.webhookSecret,
  });
  const cli = (args: string[]) => runCli(args, { cwd: root, env: env(), fetch: network });
  const jobOf = async (sku: string) => json<{ jobs: JobJson[] }>(await cli(['jobs', '--sku', sku, '--json'])).jobs[0]!;

  beforeAll(async () => {
    root = tmpDir();
    fake = await new FakeReplicate().start();
    fake.addModel({
      owner: '851-labs',
      name: 'background-remover',
      version: SEGMENT_VERSION,
      validate: (input) => (typeof input.image === 'string' ? null : '- image: Image is required'),
      run: async (_input, resolved) => ({ outputs: [{ bytes: await cutoutOf(resolved.image!), contentType: 'image/png' }], single: true, predictTimeSec: 2 }),
    });
    await writePhotos(path.join(root, 'photos'), ['STUDIO-1']);
    await fs.writeFile(path.join(root, 'photos', 'BUSY-1.jpg'), await busyPhoto());
  });
  afterAll(async () => {
    await fake.close();
    await removeDir(root);
  });

  it('only the photo the local segmenter refuses goes to Replicate (one paid prediction, cost on that job); both reach the storefront', async () => {
    const r = await cli(['process', 'photos', '--theme', 'studio', '--out', 'out', '--review', 'never', '--json', '--quiet', ...FAST]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = json<RunJson>(r);
    expect(doc.segmenter).toMatch(/\+/);
    expect(doc.counts).toMatchObject({ total: 2, done: 2, failed: 0 });
    expect(fake.creates).toBe(1);
    const prediction = [...fake.predictions.values()][0]!;
    expect(prediction).toMatchObject({ status: 'succeeded', version: SEGMENT_VERSION });
    expect(prediction.webhook).toBeUndefined();
    expect(seen.some((u) => u.startsWith('https://api.replicate.com/v1/'))).toBe(true);

    const busy = await jobOf('BUSY-1');
    const studio = await jobOf('STUDIO-1');
    expect(busy.status).toBe('DONE');
    expect(busy.costUsd).toBeGreaterThan(0);
    expect(studio.costUsd).toBe(0);
    // The hosted cut went through the same quality gate as the local one.
    expect(busy.quality).toEqual({ score: expect.any(Number), reasons: expect.any(Array) });
    expect(studio.quality).toEqual({ score: expect.any(Number), reasons: expect.any(Array) });
    for (const sku of ['BUSY-1', 'STUDIO-1']) expect((await storefrontFiles(path.join(root, 'out'), sku)).length).toBe(1);

    // Re-running pays nothing again.
    const again = await cli(['process', 'photos', '--theme', 'studio', '--json', '--quiet']);
    expect(json<RunJson>(again).counts).toMatchObject({ skipped: 2 });
    expect(fake.creates).toBe(1);
  });

  it('review reject --retry-with hosted re-cuts a held photo with Replicate and runs it on', async () => {
    await writePhotos(path.join(root, 'more'), ['HELD-1'], 3);
    const held = await cli(['process', 'more', '--theme', 'studio', '--review', 'always', '--json', '--quiet']);
    expect(held.code).toBe(3);
    const creates = fake.creates;
    const job = await jobOf('HELD-1');
    expect(job).toMatchObject({ status: 'REVIEW', costUsd: 0 });

    const r = await cli(['review', 'reject', job.id, '--reason', 'the cap is cut off', '--retry-with', 'hosted', '--review', 'never', '--json', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ action: 'reject', retryWith: 'hosted', reviewed: [{ id: job.id, status: 'SEGMENTING' }], counts: { total: 1, done: 1 } });
    expect(fake.creates).toBe(creates + 1);
    const after = await jobOf('HELD-1');
    expect(after.status).toBe('DONE');
    expect(after.costUsd).toBeGreaterThan(0);
  });

  it('a malformed REPLICATE_API_TOKEN is a usage error naming the variable, before anything runs', async () => {
    const r = await runCli(['process', 'photos', '--quiet'], { cwd: root, env: { JOBKIT_DATA_DIR: 'data', REPLICATE_API_TOKEN: 'r8_ab cd' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/REPLICATE_API_TOKEN.*must not contain whitespace/);
  });
});
