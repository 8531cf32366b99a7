/**
 * PostgreSQL queue benchmark: jobkit's PostgreSQL store vs graphile-worker 0.17 and pg-boss 10 on the same
 * throwaway server in the same run. Not a test.
 *
 *   node --conditions=@jobkit/source --import tsx bench/postgres/run.ts [--jobs 2000] [--reps 3]
 *
 * Writes bench/results/postgres.md.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { startPostgresCluster } from '../../test-support/postgres.js';
import { BATCH, graphileSystem, jobkitSystem, pgBossSystem, type QueueSystem } from './systems.js';

const { values } = parseArgs({
  options: { jobs: { type: 'string', default: '2000' }, reps: { type: 'string', default: '6' }, out: { type: 'string', default: 'bench/results/postgres.md' } },
});
const JOBS = Number(values.jobs);
const REPS = Number(values.reps);
const WORKER_COUNTS = [1, 4, 8];
const CREATE_CONCURRENCY = 8;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const cluster = await startPostgresCluster();
console.log(`PostgreSQL at ${cluster.url}; ${JOBS} jobs × ${REPS} reps`);
const systems: QueueSystem[] = [];
try {
  systems.push(await jobkitSystem(cluster.url), await graphileSystem(cluster.url), await pgBossSystem(cluster.url));
  const scenarios = [...WORKER_COUNTS.map((w) => `process, ${w} worker${w > 1 ? 's' : ''}`), 'create (new)', 'create (duplicate)'];
  const rates: Record<string, Record<string, number[]>> = Object.fromEntries(scenarios.map((s) => [s, Object.fromEntries(systems.map((x) => [x.name, []]))]));

  for (let rep = 0; rep < REPS; rep++) {
    // Systems take turns within each rep, in reverse order every other rep (ABC, CBA, …), so load drifting
    // on the shared machine does not favour whoever runs first.
    const order = rep % 2 === 0 ? systems : [...systems].reverse();
    for (const workers of WORKER_COUNTS) {
      const scenario = scenarios[WORKER_COUNTS.indexOf(workers)]!;
      for (const sys of order) {
        await sys.reset();
        await sys.seed(JOBS);
        const ms = await timed(() => sys.process(JOBS, workers));
        rates[scenario]![sys.name]!.push((JOBS / ms) * 1000);
        console.log(`rep ${rep + 1} ${scenario.padEnd(20)} ${sys.name.padEnd(16)} ${((JOBS / ms) * 1000).toFixed(0)} jobs/s`);
      }
    }
    for (const sys of order) {
      await sys.reset();
      const keys = Array.from({ length: JOBS }, (_, i) => `${rep}${i}`);
      const created = await timed(() => sys.create(keys, CREATE_CONCURRENCY));
      const dup = await timed(() => sys.create(keys, CREATE_CONCURRENCY));
      rates['create (new)']![sys.name]!.push((JOBS / created) * 1000);
      rates['create (duplicate)']![sys.name]!.push((JOBS / dup) * 1000);
      console.log(
        `rep ${rep + 1} create              ${sys.name.padEnd(16)} new ${((JOBS / created) * 1000).toFixed(0)}/s, duplicate ${((JOBS / dup) * 1000).toFixed(0)}/s`,
      );
    }
  }

  // Ratios are taken within each repetition (the runs compared sat next to each other in time), then the
  // median over repetitions: less sensitive to load drifting on a shared machine than a ratio of medians.
  const ratio = (s: string, other: string) => median(rates[s]!['jobkit']!.map((r, i) => r / rates[s]![other]![i]!));
  const rows = scenarios.map((s) => {
    const m = Object.fromEntries(systems.map((x) => [x.name, median(rates[s]![x.name]!)]));
    return `| ${s} | ${m['jobkit']!.toFixed(0)} | ${m['graphile-worker']!.toFixed(0)} | ${m['pg-boss']!.toFixed(0)} | **${ratio(s, 'graphile-worker').toFixed(2)}×** | ${ratio(s, 'pg-boss').toFixed(2)}× |`;
  });
  const table = [
    `| scenario (jobs/s, median of ${REPS}) | jobkit | graphile-worker 0.17 | pg-boss 10 | jobkit ÷ graphile (median per-rep ratio) | jobkit ÷ pg-boss |`,
    '|---|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
  console.log(`\n${table}`);
  const raw = scenarios
    .map((s) => `- ${s}: ${systems.map((x) => `${x.name} ${rates[s]![x.name]!.map((r) => r.toFixed(0)).join(' / ')}`).join('; ')}`)
    .join('\n');
  writeFileSync(
    values.out!,
    `# PostgreSQL store benchmark

Command (from the repository root):

\`\`\`sh
node --conditions=@jobkit/source --import tsx bench/postgres/run.ts --jobs ${JOBS} --reps ${REPS}
\`\`\`

Run on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores, PostgreSQL 15 started by the script
(throwaway cluster, \`fsync=off\`, \`synchronous_commit=off\`), all three queues on the same server in the same process.
**The machine is shared and noisy** (other engineers run builds and tests at the same time): compare the ratios
within this run, not the absolute numbers.

${table}

What each row measures (${JOBS} no-op jobs per run; the three systems take turns within each repetition, in reverse order every other one):

- **process, N workers** — jobs already queued; time until all are complete. jobkit: N loops of
  \`claimDue({ limit: ${BATCH} })\` (one \`FOR UPDATE SKIP LOCKED\` statement) then one compare-and-set \`update\` to DONE per
  job, one job after the other (each also appends its event and carries the full job row both ways). graphile-worker: \`run({ concurrency: N })\` with a no-op task (its default
  settings; one \`get_job\` + one \`complete_job\` per job). pg-boss: N loops of \`fetch({ batchSize: ${BATCH} })\` +
  \`complete(ids)\` (one statement per batch) — pg-boss's own \`work()\` sleeps its polling interval (≥ 0.5 s) between
  fetches, so a tight loop is the fairer measure of its database work.
- **create (new)** — ${JOBS} distinct jobs from ${CREATE_CONCURRENCY} concurrent callers: jobkit \`insertOrGet\` (unique
  (sku, sha256, theme), job + creation event in one statement), graphile-worker \`addJob\` with a \`jobKey\`, pg-boss
  \`send\` with a caller-chosen \`id\`.
- **create (duplicate)** — the same ${JOBS} keys again (no new jobs): jobkit returns the existing job (one indexed
  SELECT); graphile-worker updates the pending job for that key; pg-boss's insert hits \`ON CONFLICT DO NOTHING\`.

Reading the numbers:

- jobkit does one round trip per job on the completion path (the CAS update, its event row and the NOTIFY check
  are one statement) plus one claim per ${BATCH} jobs; graphile-worker does two per job (\`get_job\`, \`complete_job\`),
  so jobkit stays ahead of it as workers are added.
- pg-boss completes a whole batch with one statement and keeps no per-job event log, version or lease fence, so it
  does less work per job; jobkit's per-job \`update\` is the price of the audited, fenced state machine (each write
  is a compare-and-set on \`version\` and appends an event in the same transaction). A batch-complete port method
  would close most of that gap but the core's JobStore has none today.
- Tuning that moved the numbers: named prepared statements, an explicit column list, the one-statement idempotent
  create (\`INSERT … ON CONFLICT DO NOTHING\` that also returns an already-committed duplicate), and \`fillfactor=70\`
  on \`jobs\` so claims and lease renewals are HOT updates (no index writes).

Raw rates per repetition (jobs/s):

${raw}
`,
  );
  console.log(`\nwrote ${values.out}`);
} finally {
  for (const s of systems) await s.close().catch((e) => console.error(e));
  await cluster.stop();
}
