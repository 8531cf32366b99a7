/**
 * Worker throughput against its theoretical bound.
 *
 * Fake providers with a fixed latency L per call (segment, backgrounds, composite, push: k = 4 provider
 * steps per job) and, in the rate-limited scenario, R calls/s on the segmenter (p = 1 limited call per job).
 * Bound = min(concurrency / (k·L), R / p) jobs/s. We report measured / bound (target ≥ 0.95), and the peak
 * RSS sampled across a 1,000-job run (should stay flat: nothing per job is retained). "Steady state" is
 * the rate between the 25th and the last completion (no ramp-up, no tail, no rate-limit burst).
 *
 *   npx tsx --conditions=@jobkit/source bench/worker/throughput.ts
 */
import { createHash } from 'node:crypto';
import { createJobService, createMemoryJobStore, createMemoryObjectStore, createWorker } from 'jobkit';
import { createFakeBackgroundGenerator, createFakeCompositor, createFakeSegmenter, createFakeStorefront } from 'jobkit/testing';

interface Scenario {
  name: string;
  jobs: number;
  concurrency: number;
  latencyMs: number;
  ratePerSec?: number;
}

async function run(s: Scenario): Promise<{ jobsPerSec: number; steady: number; bound: number; ratio: number; rssMb: number[] }> {
  const store = createMemoryJobStore();
  const objects = createMemoryObjectStore();
  const service = createJobService({ store });
  const L = s.latencyMs;
  const worker = createWorker({
    service,
    objects,
    segmenter: createFakeSegmenter({ latencyMs: L }),
    backgrounds: createFakeBackgroundGenerator({ latencyMs: L }),
    compositor: createFakeCompositor({ latencyMs: L, aspects: ['1x1'], variants: 1 }),
    storefront: createFakeStorefront({ latencyMs: L }),
    concurrency: s.concurrency,
    pollIntervalMs: 5,
    ...(s.ratePerSec ? { limits: { segmenter: { perMinute: s.ratePerSec * 60 } } } : {}),
  });
  for (let i = 0; i < s.jobs; i++) {
    const bytes = Buffer.from(`photo-${i}`);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const key = `uploads/B/${sha256}.jpg`;
    await objects.put(key, bytes);
    await service.createJob({ sku: `B-${i}`, sha256, originalKey: key, autoStart: true });
  }
  let done = 0;
  const doneAt: number[] = [];
  worker.on('job:done', () => {
    done++;
    doneAt.push(performance.now());
  });
  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(Math.round(process.memoryUsage().rss / 1e6)), 250);
  const t0 = performance.now();
  worker.start();
  while (done < s.jobs) await new Promise((r) => setTimeout(r, 2));
  const secs = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  await worker.stop();
  const k = 4;
  const bound = Math.min(s.concurrency / ((k * L) / 1000), s.ratePerSec ?? Infinity);
  const jobsPerSec = s.jobs / secs;
  // Steady state: from the 25th to the 100th percentile of completions (no ramp-up, no rate-limit burst).
  const q = Math.floor(s.jobs / 4);
  const steady = (s.jobs - 1 - q) / ((doneAt[s.jobs - 1]! - doneAt[q]!) / 1000);
  return { jobsPerSec, steady, bound, ratio: jobsPerSec / bound, rssMb: rss };
}

/**
 * The same shape with no worker at all: `concurrency` lanes each awaiting k sleeps of L ms per job. Node's
 * timers overshoot by ~1 ms, so this floor is the best any worker can do on this machine.
 */
async function timerFloor(s: Scenario): Promise<number> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let next = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (next < s.jobs) {
      next++;
      for (let k = 0; k < 4; k++) await sleep(s.latencyMs);
    }
  };
  await Promise.all(Array.from({ length: s.concurrency }, lane));
  return s.jobs / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const scenarios: Scenario[] = [
  { name: 'latency-bound: c=16, L=20 ms', jobs: 400, concurrency: 16, latencyMs: 20 },
  { name: 'latency-bound: c=64, L=20 ms', jobs: 1000, concurrency: 64, latencyMs: 20 },
  { name: 'rate-bound: c=64, L=20 ms, R=100/s', jobs: 1000, concurrency: 64, latencyMs: 20, ratePerSec: 100 },
];

console.log(`node ${process.version}, ${new Date().toISOString()}`);
console.log(
  '| scenario | jobs | bound (jobs/s) | timer floor (jobs/s) | whole run, median of 3 (jobs/s) | ratio to bound | ratio to floor | steady state (jobs/s) | steady / bound | RSS MB min–max |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const s of scenarios) {
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await run(s));
  const m = median(runs.map((r) => r.jobsPerSec));
  const st = median(runs.map((r) => r.steady));
  const rss = runs.flatMap((r) => r.rssMb);
  const b = runs[0]!.bound;
  const floor = s.ratePerSec ? Math.min(await timerFloor(s), s.ratePerSec) : await timerFloor(s);
  console.log(
    `| ${s.name} | ${s.jobs} | ${b.toFixed(1)} | ${floor.toFixed(1)} | ${m.toFixed(1)} | ${(m / b).toFixed(3)} | ${(m / floor).toFixed(3)} | ${st.toFixed(1)} | ${(st / b).toFixed(3)} | ${Math.min(...rss)}–${Math.max(...rss)} |`,
  );
}
