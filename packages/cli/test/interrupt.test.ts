/** Ctrl-C during `process`: in-flight steps finish, the summary is printed, exit 130; a re-run completes. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST, writePhotos } from './support/photos.js';
import { json, removeDir, runCli, tmpDir, waitFor } from './support/cli.js';

describe('interrupting process', () => {
  let root: string;
  beforeAll(async () => {
    root = tmpDir();
    await writePhotos(path.join(root, 'photos'), ['I-1', 'I-2', 'I-3', 'I-4']);
  });
  afterAll(() => removeDir(root));

  it('stops gracefully on the signal, reports unfinished jobs, exits 130; the next run finishes them', async () => {
    const interrupt = new AbortController();
    const manifest = (sku: string) => path.join(root, 'data', 'storefront', sku, 'manifest.json');
    const running = runCli(['process', 'photos', '--data-dir', 'data', '--concurrency', '1', ...FAST], { cwd: root, signal: interrupt.signal });
    // Interrupt as soon as the first photo reached the storefront: three are still to do.
    await waitFor(() => ['I-1', 'I-2', 'I-3', 'I-4'].some((s) => existsSync(manifest(s))));
    interrupt.abort();
    const r = await running;
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/^Interrupted — summary so far:$/m);
    expect(r.stdout).toMatch(/^unfinished\s+[1-3] \(run again to continue\)$/m);

    const again = await runCli(['process', 'photos', '--data-dir', 'data', '--json', '--quiet'], { cwd: root });
    expect(again.code).toBe(0);
    const doc = json<{ counts: { total: number; done: number; skipped: number; pending: number } }>(again);
    expect(doc.counts.total).toBe(4);
    expect(doc.counts.pending).toBe(0);
    expect(doc.counts.done + doc.counts.skipped).toBe(4);
    expect(doc.counts.done).toBeGreaterThanOrEqual(1);
  });
});
