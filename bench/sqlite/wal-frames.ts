/**
 * Pages written per operation (WAL frames), ours vs plainjob: the I/O side of the throughput gap, free of
 * the CPU noise of a shared machine. Auto-checkpointing is off while counting.
 *
 *   npx tsx --conditions=@jobkit/source bench/sqlite/wal-frames.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { better, defineQueue } from 'plainjob';
import { creationEvent, makeJob } from 'jobkit/testing';
import { createSqliteJobStore } from '@jobkit/adapter-sqlite';

const N = 1000;
const dir = mkdtempSync(join(tmpdir(), 'jobkit-wal-frames-'));
const walFrames = (db: Database.Database): number => (db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>)[0]!.log;
const reset = (db: Database.Database): void => void db.pragma('wal_checkpoint(TRUNCATE)');
const perOp = async (db: Database.Database, fn: () => Promise<void> | void): Promise<string> => {
  reset(db);
  const before = walFrames(db);
  await fn();
  return ((walFrames(db) - before) / N).toFixed(1);
};

const store = createSqliteJobStore({ filename: join(dir, 'ours.db') });
store.db.pragma('wal_autocheckpoint = 0');
for (let i = 0; i < 2000; i++) {
  const j = makeJob({ status: 'DONE', completedAt: new Date().toISOString() }); // a populated table, not an empty one
  await store.insertOrGet(j, creationEvent(j));
}
const jobs = Array.from({ length: N }, () => makeJob({ status: 'QUEUED', driver: 'worker' }));
const create = await perOp(store.db, async () => {
  for (const j of jobs) await store.insertOrGet(j, creationEvent(j));
});
const held: Awaited<ReturnType<typeof store.claimDue>> = [];
const claim = await perOp(store.db, async () => {
  for (let i = 0; i < N; i++) held.push(...(await store.claimDue({ owner: 'w', now: new Date(), leaseMs: 60_000, limit: 1 })));
});
const complete = await perOp(store.db, async () => {
  for (const j of held) {
    const at = new Date().toISOString();
    await store.update(
      { ...j, status: 'DONE', leaseOwner: null, leaseExpiresAt: null, completedAt: at, updatedAt: at },
      { jobId: j.id, at, from: j.status, to: 'DONE', attempt: 0, errorCode: null, message: null, costUsd: 0 },
    );
  }
});
await store.close();

const db = new Database(join(dir, 'plainjob.db'));
const queue = defineQueue({ connection: better(db), logger: { error() {}, warn() {}, info() {}, debug() {} }, maintenanceInterval: 3_600_000 });
db.pragma('wal_autocheckpoint = 0');
for (let i = 0; i < 2000; i++) queue.add('warm', { i });
const add = await perOp(db, () => {
  for (let i = 0; i < N; i++) queue.add('bench', { i });
});
const proc = await perOp(db, () => {
  for (let i = 0; i < N; i++) queue.markJobAsDone(queue.getAndMarkJobAsProcessing('bench')!.id);
});
queue.close();
db.close();
rmSync(dir, { recursive: true, force: true });

console.log('| per job | ours | plainjob |\n|---|---:|---:|');
console.log(`| create / add | ${create} | ${add} |`);
console.log(`| claim + complete / fetch-and-mark + done | ${claim} + ${complete} | ${proc} |`);
console.log(`| total pages written | ${(Number(create) + Number(claim) + Number(complete)).toFixed(1)} | ${(Number(add) + Number(proc)).toFixed(1)} |`);
