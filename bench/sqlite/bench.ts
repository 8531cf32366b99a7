/**
 * SQLite JobStore throughput, against plainjob (an SQLite queue for better-sqlite3) in the same run.
 *
 *   npx tsx --conditions=@jobkit/source bench/sqlite/bench.ts [N] [RUNS]
 *
 * One process, fresh database file per measurement (temp dir), same pragmas for both (WAL,
 * synchronous=NORMAL, busy_timeout=5000 — plainjob sets exactly these itself), same N, median of RUNS.
 * The order of the two contenders alternates between runs so drift on a shared machine hits both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { better, defineQueue } from 'plainjob';
import { createJobService, type Job } from 'jobkit';
import { creationEvent, makeJob } from 'jobkit/testing';
import { createSqliteJobStore, type SqliteJobStore } from '@jobkit/adapter-sqlite';

const N = Number(process.argv[2] ?? 5000);
const RUNS = Number(process.argv[3] ?? 5);
const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'jobkit-sqlite-bench-'));
let fileNo = 0;
const freshFile = (): string => join(dir, `b${fileNo++}.db`);
const silent = { error() {}, warn() {}, info() {}, debug() {} };

const sha = (i: number): string => i.toString(16).padStart(64, '0');
const inputs = Array.from({ length: N }, (_, i) => ({
  sku: `SKU-${i % 500}`,
  sha256: sha(i),
  imageUrl: `https://images.example.com/p/${i}.jpg`,
  autoStart: true as const,
}));

function openOurs(): { store: SqliteJobStore; service: ReturnType<typeof createJobService> } {
  const store = createSqliteJobStore({ filename: freshFile(), busyTimeoutMs: 5000 });
  return { store, service: createJobService({ store }) };
}

const rate = (n: number, ms: number): number => (n / ms) * 1000;
/** CPU time (user + system) of this process: less sensitive than wall time to other tenants' load. */
const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const cpuMs: Record<'store1' | 'plainjob', number[]> = { store1: [], plainjob: [] };
const time = async (fn: () => Promise<void> | void): Promise<number> => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};

async function complete(store: SqliteJobStore, job: Job): Promise<void> {
  const at = new Date().toISOString();
  await store.update(
    { ...job, status: 'DONE', leaseOwner: null, leaseExpiresAt: null, completedAt: at, updatedAt: at },
    { jobId: job.id, at, from: job.status, to: 'DONE', attempt: job.attempts, errorCode: null, message: null, costUsd: 0 },
  );
}

/** createJob (new identities), then the same N again (duplicates): JobService over the SQLite store. */
async function createThroughput(): Promise<{ created: number; duplicate: number }> {
  const { store, service } = openOurs();
  const created = await time(async () => {
    for (const input of inputs) await service.createJob(input);
  });
  const duplicate = await time(async () => {
    for (const input of inputs) await service.createJob(input);
  });
  if ((await store.list({ limit: 1, offset: 0 })).total !== N) throw new Error('duplicates were created');
  await store.close();
  return { created: rate(N, created), duplicate: rate(N, duplicate) };
}

/**
 * Like for like with plainjob: create N, then claim + complete each one (claim batch `batch`). "store"
 * creates with store.insertOrGet (what plainjob's add is: one insert, no input validation); "service"
 * goes through JobService.createJob (zod validation, URL guard, then the same insertOrGet).
 */
async function oursCreateClaimComplete(batch: number, via: 'store' | 'service'): Promise<number> {
  const { store, service } = openOurs();
  let done = 0;
  const cpu0 = cpuNow();
  const ms = await time(async () => {
    if (via === 'service') for (const input of inputs) await service.createJob(input);
    else {
      for (const input of inputs) {
        const job = makeJob({ ...input, status: 'QUEUED', driver: 'worker', startedAt: new Date().toISOString() });
        await store.insertOrGet(job, creationEvent(job));
      }
    }
    for (;;) {
      const claimed = await store.claimDue({ owner: 'bench', now: new Date(), leaseMs: 60_000, limit: batch });
      if (claimed.length === 0) break;
      for (const job of claimed) {
        await complete(store, job);
        done++;
      }
    }
  });
  const cpu = cpuNow() - cpu0;
  if (batch === 1 && via === 'store') cpuMs.store1.push((cpu * 1000) / N);
  if (done !== N) throw new Error(`ours completed ${done}/${N}`);
  await store.close();
  return rate(N, ms);
}

/** plainjob: add N no-op jobs, then fetch-and-mark + markJobAsDone each one (its queue API, no polling). */
function plainjobAddProcess(): number {
  const db = new Database(freshFile());
  const queue = defineQueue({ connection: better(db), logger: silent, maintenanceInterval: 3_600_000 });
  let done = 0;
  const cpu0 = cpuNow();
  const t = performance.now();
  for (let i = 0; i < N; i++) queue.add('bench', { i });
  for (;;) {
    const job = queue.getAndMarkJobAsProcessing('bench');
    if (!job) break;
    queue.markJobAsDone(job.id);
    done++;
  }
  const ms = performance.now() - t;
  cpuMs.plainjob.push(((cpuNow() - cpu0) * 1000) / N);
  if (done !== N) throw new Error(`plainjob completed ${done}/${N}`);
  queue.close();
  db.close();
  return rate(N, ms);
}

/** Full lifecycle through JobService: create → claim → 5 step transitions (each a CAS write + event) → DONE. */
async function fullLifecycle(): Promise<number> {
  const { store, service } = openOurs();
  const ms = await time(async () => {
    for (const input of inputs) await service.createJob(input);
    for (;;) {
      const claimed = await store.claimDue({ owner: 'bench', now: new Date(), leaseMs: 60_000, limit: 10 });
      if (claimed.length === 0) break;
      for (const held of claimed) {
        let j = await service.transition(held, 'SEGMENTING', { originalKey: `originals/${held.sku}/${held.sha256}.jpg` });
        j = await service.transition(j, 'BG_GENERATING', { maskKey: `masks/${held.sku}/${held.sha256}.png` }, { costUsd: 0.01 });
        j = await service.transition(j, 'COMPOSITING', { backgroundKeys: [`backgrounds/default/${held.sku}/${held.sha256}_1.jpg`] }, { costUsd: 0.02 });
        j = await service.transition(j, 'SHOPIFY_PUSH', { compositeKeys: [`composites/default/${held.sku}/${held.sha256}_1x1_1_master.jpg`] });
        await service.transition(j, 'DONE', { storefrontMediaIds: [`local:${held.sku}/${held.sha256}.jpg`] });
      }
    }
  });
  const s = await store.stats(new Date());
  if (s.byStatus.DONE !== N) throw new Error(`lifecycle finished ${s.byStatus.DONE}/${N}`);
  const events = await store.listEvents((await store.list({ limit: 1, offset: 0 })).jobs[0]!.id);
  if (events.length !== 6) throw new Error(`expected 6 events per job, got ${events.length}`);
  await store.close();
  return rate(N, ms);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

const KEYS = ['createNew', 'createDup', 'store1', 'service1', 'store10', 'plainjob', 'lifecycle'] as const;
type Key = (typeof KEYS)[number];
const results = Object.fromEntries(KEYS.map((k) => [k, [] as number[]])) as Record<Key, number[]>;
// Warm-up (JIT, page cache), not recorded.
await oursCreateClaimComplete(1, 'store');
plainjobAddProcess();

for (let r = 0; r < RUNS; r++) {
  const c = await createThroughput();
  results.createNew.push(c.created);
  results.createDup.push(c.duplicate);
  // Alternate the order so slow phases of a shared machine do not always hit the same contender.
  if (r % 2 === 0) {
    results.plainjob.push(plainjobAddProcess());
    results.store1.push(await oursCreateClaimComplete(1, 'store'));
  } else {
    results.store1.push(await oursCreateClaimComplete(1, 'store'));
    results.plainjob.push(plainjobAddProcess());
  }
  results.service1.push(await oursCreateClaimComplete(1, 'service'));
  results.store10.push(await oursCreateClaimComplete(10, 'store'));
  results.lifecycle.push(await fullLifecycle());
  process.stderr.write(`run ${r + 1}/${RUNS} done\n`);
}
rmSync(dir, { recursive: true, force: true });

const m = Object.fromEntries(KEYS.map((k) => [k, median(results[k])])) as Record<Key, number>;
const row = (name: string, key: Key): string => `| ${name} | ${fmt(m[key])} | ${results[key].map(fmt).join(', ')} |`;
console.log(`N = ${N} jobs per measurement, ${RUNS} runs, median jobs/s; node ${process.version}; files in ${process.env.BENCH_DIR ?? tmpdir()}\n`);
console.log('| measurement | median jobs/s | all runs |');
console.log('|---|---:|---|');
console.log(row('createJob, new identities (JobService → SQLite store)', 'createNew'));
console.log(row('createJob, duplicate identities (JobService)', 'createDup'));
console.log(row('plainjob: add + getAndMarkJobAsProcessing + markJobAsDone', 'plainjob'));
console.log(row('ours: insertOrGet + claimDue(limit 1) + update→DONE', 'store1'));
console.log(row('ours: JobService.createJob + claimDue(limit 1) + update→DONE', 'service1'));
console.log(row('ours: insertOrGet + claimDue(limit 10) + update→DONE', 'store10'));
console.log(row('ours: full lifecycle via JobService (create → claim → 5 transitions → DONE, 6 events)', 'lifecycle'));
const ratio = (k: Key): string => `${(m[k] / m.plainjob).toFixed(2)}×`;
console.log(
  `\nratio vs plainjob (median/median): store, batch 1 = ${ratio('store1')}; service, batch 1 = ${ratio('service1')}; store, batch 10 = ${ratio('store10')}`,
);
const cpuStore = median(cpuMs.store1.slice(1));
const cpuPlain = median(cpuMs.plainjob.slice(1));
console.log(
  `CPU per job (median, µs): ours store batch 1 = ${cpuStore.toFixed(0)}, plainjob = ${cpuPlain.toFixed(0)} → CPU-based ratio ${(cpuPlain / cpuStore).toFixed(2)}×`,
);
