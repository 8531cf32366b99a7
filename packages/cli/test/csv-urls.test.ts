/**
 * `jobkit process sheet.csv`: local paths (sha256 optional) and http URLs served by a real server on
 * 127.0.0.1, downloaded by the worker's SSRF-guarded fetch (allowed here only with --allow-private-urls).
 */
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST, productPhoto, writePhotos } from './support/photos.js';
import { json, removeDir, runCli, storefrontFiles, tmpDir } from './support/cli.js';

interface RunJson {
  counts: { total: number; done: number; skipped: number; failed: number; rejected: number };
  jobs: Array<{ sku: string; status: string; outcome: string; errorCode: string | null; errorMessage: string | null; source: string }>;
  rejected: Array<{ source: string; severity: string; reason: string }>;
}

describe('jobkit process <csv>', () => {
  let root: string;
  let server: http.Server;
  let base: string;
  let serveLater = false;
  const photos: Record<string, Buffer> = {};
  const cli = (args: string[]) => runCli(args, { cwd: root, env: { JOBKIT_DATA_DIR: path.join(root, 'data') } });

  beforeAll(async () => {
    root = tmpDir();
    const shas = await writePhotos(path.join(root, 'img'), ['LOCAL-1', 'LOCAL-2']);
    photos.remote = (await productPhoto(3)).bytes;
    photos.later = (await productPhoto(4)).bytes;
    server = http.createServer((req, res) => {
      const name = req.url === '/remote.jpg' ? 'remote' : req.url === '/later.jpg' && serveLater ? 'later' : null;
      if (!name) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photos[name]);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const sha = async (i: number) => (await productPhoto(i)).sha256;
    const csv = [
      'sku,image,sha256',
      'LOCAL-1,img/LOCAL-1.jpg,',
      `LOCAL-2,"img/LOCAL-2.jpg",${shas['LOCAL-2']}`,
      `REMOTE-1,${base}/remote.jpg,${await sha(3)}`,
      `NOSHA-1,${base}/remote.jpg,`,
      `LATER-1,${base}/later.jpg,${await sha(4)}`,
      `WRONGSHA-1,img/LOCAL-1.jpg,${'0'.repeat(64)}`,
      'GONE-1,img/missing.jpg,',
    ].join('\n');
    await fs.writeFile(path.join(root, 'products.csv'), csv);
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await removeDir(root);
  });

  it('without --allow-private-urls a loopback URL is refused per row; local rows still run (exit 1)', async () => {
    const r = await cli(['process', 'products.csv', '--theme', 'studio', '--json', '--quiet', ...FAST]);
    expect(r.code).toBe(1);
    const doc = json<RunJson>(r);
    expect(
      doc.jobs
        .filter((j) => j.outcome === 'done')
        .map((j) => j.sku)
        .sort(),
    ).toEqual(['LOCAL-1', 'LOCAL-2']);
    const reasons = Object.fromEntries(doc.rejected.map((r) => [r.source, r.reason]));
    expect(reasons['products.csv:4']).toMatch(/^INVALID_INPUT: .*(private|loopback)/i);
    expect(reasons['products.csv:5']).toMatch(/has no sha256/);
    expect(reasons['products.csv:7']).toMatch(/hashes to [0-9a-f]{64}, but the CSV says 0{64}/);
    expect(reasons['products.csv:8']).toMatch(/cannot read .*missing\.jpg: file not found/);
    expect(r.stderr).toMatch(/error: products\.csv:5: the URL .* has no sha256/);
  });

  it('with --allow-private-urls the worker downloads URL rows; a 404 fails its job (exit 1)', async () => {
    const r = await cli(['process', 'products.csv', '--theme', 'studio', '--allow-private-urls', '--json', '--quiet']);
    expect(r.code).toBe(1);
    const doc = json<RunJson>(r);
    const bySku = Object.fromEntries(doc.jobs.map((j) => [j.sku, j]));
    expect(bySku['LOCAL-1']).toMatchObject({ outcome: 'skipped' });
    expect(bySku['REMOTE-1']).toMatchObject({ outcome: 'done', status: 'DONE' });
    expect(bySku['LATER-1']).toMatchObject({ outcome: 'failed', errorCode: 'DOWNLOAD_FAILED' });
    expect(bySku['LATER-1']!.errorMessage).toMatch(/answered 404/);
    expect(await storefrontFiles(path.join(root, 'data', 'storefront'), 'REMOTE-1')).toHaveLength(1);
  });

  it('retry --all-failed runs the failed download again once the URL works (exit 0)', async () => {
    serveLater = true;
    const r = await cli(['retry', '--all-failed', '--allow-private-urls', '--json', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(json<RunJson>(r)).toMatchObject({ counts: { total: 1, done: 1, failed: 0 }, jobs: [{ sku: 'LATER-1', status: 'DONE' }] });
    expect(await storefrontFiles(path.join(root, 'data', 'storefront'), 'LATER-1')).toHaveLength(1);
  });
});
