import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanInput, UsageError } from '../src/index.js';
import { removeDir, tmpDir } from './support/cli.js';

const SHA = 'a'.repeat(64);

describe('scanInput', () => {
  let dir: string;
  beforeAll(async () => {
    dir = tmpDir();
    const photos = path.join(dir, 'photos');
    await fs.mkdir(path.join(photos, 'nested'), { recursive: true });
    for (const f of ['MUG-1.jpg', 'tee_2.PNG', 'bad name.jpg', 'x..y.jpg', 'notes.txt', '.DS_Store', 'SHOE.3.jpeg'])
      await fs.writeFile(path.join(photos, f), 'x');
  });
  afterAll(() => removeDir(dir));

  it('takes the SKU from each image file name and reports the rest without failing', async () => {
    const scan = await scanInput('photos', dir);
    expect(scan.kind).toBe('folder');
    expect(scan.inputs.map((i) => [i.sku, i.kind === 'file' ? i.ext : ''])).toEqual([
      ['MUG-1', 'jpg'],
      ['SHOE.3', 'jpg'],
      ['tee_2', 'png'],
    ]);
    const rejected = Object.fromEntries(scan.rejected.map((r) => [r.source, r]));
    expect(rejected['bad name.jpg']).toMatchObject({ severity: 'warning', reason: expect.stringMatching(/not a valid SKU/) });
    expect(rejected['x..y.jpg']).toMatchObject({ severity: 'warning' });
    expect(rejected['notes.txt']).toMatchObject({ severity: 'warning', reason: expect.stringMatching(/not an image file/) });
    expect(rejected['nested']).toMatchObject({ reason: expect.stringMatching(/sub-folders are not scanned/) });
    expect(rejected['.DS_Store']).toBeUndefined();
  });

  it('reads CSV rows: local paths relative to the CSV, URLs with their sha256, errors per row', async () => {
    const csv = [
      'SKU,Path,sha256,extra',
      'A-1,photos/MUG-1.jpg,,x',
      `B-2,https://cdn.example.com/b.jpg,${SHA.toUpperCase()},`,
      'C-3,https://cdn.example.com/c.jpg,,',
      'bad sku,photos/MUG-1.jpg,,',
      'D-4,photos/notes.txt,,',
      'E-5,ftp://example.com/e.jpg,,',
      `F-6,https://user:pw@example.com/f.jpg,${SHA},`,
      'G-7,photos/MUG-1.jpg,nothex,',
      ',photos/MUG-1.jpg,,',
    ].join('\n');
    await fs.writeFile(path.join(dir, 'sheet.csv'), csv);
    const scan = await scanInput('sheet.csv', dir);
    expect(scan.inputs).toEqual([
      { kind: 'file', source: 'sheet.csv:2', sku: 'A-1', path: path.join(dir, 'photos', 'MUG-1.jpg'), ext: 'jpg' },
      { kind: 'url', source: 'sheet.csv:3', sku: 'B-2', url: 'https://cdn.example.com/b.jpg', sha256: SHA },
    ]);
    const reasons = Object.fromEntries(scan.rejected.map((r) => [r.source, r.reason]));
    expect(scan.rejected.every((r) => r.severity === 'error')).toBe(true);
    expect(reasons['sheet.csv:4']).toMatch(/has no sha256/);
    expect(reasons['sheet.csv:5']).toMatch(/sku "bad sku" is invalid/);
    expect(reasons['sheet.csv:6']).toMatch(/not an image file/);
    expect(reasons['sheet.csv:7']).toMatch(/not an http\(s\) URL/);
    expect(reasons['sheet.csv:8']).toMatch(/without credentials/);
    expect(reasons['sheet.csv:9']).toMatch(/not 64 hex/);
    expect(reasons['sheet.csv:10']).toMatch(/empty sku/);
  });

  it('accepts imageUrl / url / image as the image column', async () => {
    for (const col of ['imageUrl', 'url', 'image']) {
      await fs.writeFile(path.join(dir, 'c.csv'), `sku,${col}\nA,photos/MUG-1.jpg\n`);
      expect((await scanInput('c.csv', dir)).inputs).toHaveLength(1);
    }
  });

  it('refuses unusable arguments with a UsageError naming the problem', async () => {
    await expect(scanInput('missing-folder', dir)).rejects.toThrow(/input not found: missing-folder/);
    await expect(scanInput('photos/notes.txt', dir)).rejects.toThrow(/neither a folder nor a \.csv file/);
    await fs.writeFile(path.join(dir, 'nohdr.csv'), 'name,file\nA,a.jpg\n');
    await expect(scanInput('nohdr.csv', dir)).rejects.toThrow(/lacks "sku" and one of "image", "path", "imageurl", "url"/);
    await fs.writeFile(path.join(dir, 'empty.csv'), '');
    await expect(scanInput('empty.csv', dir)).rejects.toBeInstanceOf(UsageError);
  });
});
