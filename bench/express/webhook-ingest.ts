/**
 * Signed-webhook ingest through each wrapper of @jobkit/http vs a minimal hand-written node:http route that
 * does only the unavoidable work (server.ts, mode "floor"), same machine, same run; "express-floor" is the
 * floor's route inside a bare Express app (what Express itself costs, whatever runs behind it).
 *
 *   npx tsx --conditions=@jobkit/source bench/express/webhook-ingest.ts [--duration 8] [--connections 20] [--rounds 3]
 *
 * Each round measures every mode in a fresh server process (SQLite file store, new identities: a distinct
 * signed body per request, pre-signed so the load generator does no HMAC work during the run), in a rotated
 * order. Reported per mode: median req/s and the server process's CPU time per request (user + system,
 * from process.cpuUsage() in the server), and each as a ratio to the floor of the same round. On a busy
 * machine the CPU ratio is the steadier number (it does not count time the server waited for a core).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { signWebhook } from 'jobkit';

const SECRET = 'bench-webhook-secret-0123456789';
const MODES = ['floor', 'node', 'express', 'hono', 'express-floor'] as const;
type Mode = (typeof MODES)[number];

const { values } = parseArgs({
  options: { duration: { type: 'string', default: '8' }, connections: { type: 'string', default: '20' }, rounds: { type: 'string', default: '3' } },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
const serverFile = fileURLToPath(new URL('./server.ts', import.meta.url));

function startServer(mode: Mode): Promise<{ port: number; child: ChildProcess }> {
  const child = fork(serverFile, [mode], { execArgv: ['--conditions=@jobkit/source', '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ port: (m as { port: number }).port, child }));
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
}

function cpuOf(child: ChildProcess): Promise<{ cpuUs: number; requests: number }> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as { cpuUs: number; requests: number }));
    child.send('cpu');
  });
}

function signed(i: number): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({
    sku: `BENCH-${i % 5000}`,
    sha256: randomBytes(32).toString('hex'),
    imageUrl: `https://images.example.com/p/${i}.jpg`,
    theme: 'default',
  });
  return { body, headers: { 'content-type': 'application/json', ...signWebhook({ body, secret: SECRET }) } };
}

interface Measured {
  rps: number;
  p99: number;
  cpuUsPerRequest: number;
  errors: number;
  statuses: Record<string, number>;
}

// Enough distinct bodies for the longest run (generated once, before any clock starts); each run uses a fresh database.
const pool = Array.from({ length: 150_000 }, (_, i) => signed(i));

async function run(mode: Mode): Promise<Measured> {
  const { port, child } = await startServer(mode);
  try {
    let i = 0;
    let wrapped = false;
    const url = `http://127.0.0.1:${port}/api/webhooks/3jms/images`;
    // Warm-up (JIT, SQLite page cache), not measured.
    await autocannon({
      url,
      connections,
      amount: 2000,
      requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, ...pool[pool.length - 1 - (i++ % 5000)]!, method: 'POST' }) }],
    });
    i = 0;
    const before = await cpuOf(child);
    const result = await autocannon({
      url,
      connections,
      duration,
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => {
            if (i === pool.length - 5000) wrapped = true;
            return { ...req, ...pool[i++ % (pool.length - 5000)]!, method: 'POST' };
          },
        },
      ],
    });
    const after = await cpuOf(child);
    if (wrapped) console.warn('warning: the pool of new identities ran out; some requests were duplicates');
    const served = after.requests - before.requests;
    return {
      rps: result.requests.average,
      p99: result.latency.p99,
      cpuUsPerRequest: served > 0 ? (after.cpuUs - before.cpuUs) / served : Number.NaN,
      errors: result.errors + result.timeouts,
      statuses: { '2xx': result['2xx'], '4xx': result['4xx'], '5xx': result['5xx'] },
    };
  } finally {
    child.disconnect();
    await new Promise((r) => child.once('exit', r));
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const results: Record<Mode, Measured[]> = { floor: [], node: [], express: [], hono: [], 'express-floor': [] };
for (let r = 0; r < rounds; r++) {
  // Rotate the order so no mode always runs first (or last) in a round.
  const order = MODES.map((_, k) => MODES[(k + r) % MODES.length]!);
  for (const mode of order) {
    const m = await run(mode);
    results[mode].push(m);
    console.log(
      `round ${r + 1} ${mode.padEnd(8)} ${m.rps.toFixed(0).padStart(6)} req/s  p99 ${m.p99} ms  ${m.cpuUsPerRequest.toFixed(0)} µs CPU/req  ${JSON.stringify(m.statuses)} errors ${m.errors}`,
    );
    if (m.errors > 0 || m.statuses['4xx']! + m.statuses['5xx']! > 0) throw new Error(`${mode}: unexpected errors or non-2xx answers`);
  }
}

const load = os
  .loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
console.log('');
console.log(
  `node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average ${load}, ${connections} connections, ${duration} s per measurement, ${rounds} rounds`,
);
console.log(
  '| mode | median req/s | throughput ratio to floor (median of per-round) | median µs CPU/request | CPU ratio floor/mode (median of per-round) | median p99 ms |',
);
console.log('|---|---|---|---|---|---|');
for (const mode of MODES) {
  const rs = results[mode];
  const tput = median(rs.map((m, i) => m.rps / results.floor[i]!.rps));
  const cpu = median(rs.map((m, i) => results.floor[i]!.cpuUsPerRequest / m.cpuUsPerRequest));
  console.log(
    `| ${mode} | ${median(rs.map((m) => m.rps)).toFixed(0)} | ${tput.toFixed(2)} | ${median(rs.map((m) => m.cpuUsPerRequest)).toFixed(0)} | ${cpu.toFixed(2)} | ${median(rs.map((m) => m.p99))} |`,
  );
}
