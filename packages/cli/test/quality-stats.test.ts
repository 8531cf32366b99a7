/** `jobkit stats`' quality summary over jobs whose cutouts were scored (memory store, external driver). */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createJobService, createMemoryJobStore } from 'jobkit';
import { qualityStats } from '../src/quality-stats.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('qualityStats', () => {
  it('counts scored and unscored jobs, the mean, the lowest, the doubtful ones and a five-bucket histogram', async () => {
    const service = createJobService({ store: createMemoryJobStore() });
    const scores = [0.05, 0.2, 0.59, 0.6, 0.95, 1];
    for (const [i, score] of scores.entries()) {
      const { job } = await service.createJob({ sku: `Q-${i}`, sha256: sha(`q${i}`), imageUrl: `https://cdn.example.com/q${i}.jpg` });
      await service.startJob(job.id, { driver: 'external' });
      await service.completeSegmentation(job.id, { maskKey: `masks/Q-${i}/${sha(`q${i}`)}.png`, quality: { score, reasons: [] } });
    }
    await service.createJob({ sku: 'Q-NEW', sha256: sha('new'), imageUrl: 'https://cdn.example.com/new.jpg' });

    const q = await qualityStats(service, 0.6);
    expect(q).toMatchObject({ scored: 6, unscored: 1, min: 0.05, threshold: 0.6, belowThreshold: 3 });
    expect(q.mean).toBeCloseTo(scores.reduce((a, b) => a + b, 0) / scores.length, 3);
    expect(q.buckets.map((b) => b.count)).toEqual([1, 1, 1, 1, 2]);
    expect(q.buckets.map((b) => [b.from, b.to])).toEqual([
      [0, 0.2],
      [0.2, 0.4],
      [0.4, 0.6],
      [0.6, 0.8],
      [0.8, 1],
    ]);

    expect(await qualityStats(createJobService({ store: createMemoryJobStore() }), 0.6)).toMatchObject({ scored: 0, unscored: 0, mean: null, min: null });
  });
});
