import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE, aspectSpecs, compositorOptions } from '../src/index.js';
import { loadPipelineSettings, pipelineFromFlags, savePipelineSettings } from '../src/pipeline-options.js';
import { removeDir, tmpDir } from './support/cli.js';

describe('pipeline options', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmpDir();
  });
  afterAll(() => removeDir(dir));

  it('keeps the provider sizes for known aspects and scales every aspect to --size', () => {
    expect(aspectSpecs(DEFAULT_PIPELINE)).toEqual([
      { id: '1x1', width: 2048, height: 2048 },
      { id: '4x5', width: 1600, height: 2000 },
      { id: '16x9', width: 2560, height: 1440 },
    ]);
    const s = pipelineFromFlags({ aspects: '1x1,4x5,3x2', size: '1000', variants: '3', 'no-derivatives': true }, DEFAULT_PIPELINE, dir);
    expect(compositorOptions(s)).toEqual({
      aspects: [
        { id: '1x1', width: 1000, height: 1000 },
        { id: '4x5', width: 800, height: 1000 },
        { id: '3x2', width: 1000, height: 667 },
      ],
      variants: 3,
      derivatives: false,
    });
    expect(aspectSpecs({ ...DEFAULT_PIPELINE, aspects: ['2x1'] })).toEqual([{ id: '2x1', width: 2048, height: 1024 }]);
  });

  it('remembers settings per data dir; flags override them; a broken file is a clear error', async () => {
    expect(await loadPipelineSettings(dir)).toEqual(DEFAULT_PIPELINE);
    const s = pipelineFromFlags({ aspects: '1x1', out: 'shop' }, DEFAULT_PIPELINE, dir);
    await savePipelineSettings(dir, s);
    const loaded = await loadPipelineSettings(dir);
    expect(loaded).toEqual({ ...DEFAULT_PIPELINE, aspects: ['1x1'], outDir: path.join(dir, 'shop') });
    expect(pipelineFromFlags({ variants: '1' }, loaded, dir)).toEqual({ ...loaded, variants: 1 });
    await fs.writeFile(path.join(dir, 'pipeline.json'), '{"aspects":["huge"]}');
    await expect(loadPipelineSettings(dir)).rejects.toThrow(/pipeline\.json is invalid .*"huge" is not an aspect ratio/);
  });
});
