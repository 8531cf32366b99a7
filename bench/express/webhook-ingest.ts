/**
 * Signed-webhook ingest vs a bare Express route, same machine, same run.
 *
 *   npx tsx --conditions=@jobkit/source bench/express/webhook-ingest.ts [--duration 8] [--connections 50] [--rounds 3]
 *
 * Each round measures, in a fresh server process each: the bare route, new identities (a distinct signed
 * body per request, pre-signed so the load generator does no HMAC work during the run) and duplicate
 * deliveries of one body; plus new identities on the in-memory store, which isolates the HTTP adapter's own
 * cost from the SQLite write. Reports medians over the rounds and the ratios to the bare route.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { signWebhook } from 'jobkit';

const SECRET = 'bench-webhook-secret-0123456789';
const { values } = parseArgs({ options: { duration: { type: 'string', default: '8' }, connections: { type: 'string', default: '50' }, rounds: { type: 'string', default: '3' } } });
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

function signed(i: number): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ sku: `BENCH-${i % 5000}`, sha256: randomBytes(32).toString('hex'), imageUrl: `https://images.example.com/p/${i}.jpg`, theme: 'default' });
  return { body, headers: { 'content-type': 'application/json', ...signWebhook({ body, secret: SECRET }) } };
}

type Mode = 'bare' | 'ingest' | 'ingest-memory';
type Scenario = 'bare' | 'new' | 'duplicate' | 'new-memory';

interface Measured {
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
  total: number;
  statuses: Record<string, number>;
}

async function measure(port: number, next: () => { body: string; headers: Record<string, string> }): Promise<Measured> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/api/webhooks/3jms/images`,
    connections,
    duration,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const { body, headers } = next();
          return { ...req, method: 'POST', body, headers };
        },
      },
    ],
  });
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    total: result.requests.total,
    statuses: { '1xx': result['1xx'], '2xx': result['2xx'], '3xx': result['3xx'], '4xx': result['4xx'], '5xx': result['5xx'] },
  };
}

async function run(mode: Mode, scenario: Scenario): Promise<Measured> {
  const { port, child } = await startServer(mode);
  try {
    if (scenario === 'new' || scenario === 'new-memory') {
      // Enough distinct bodies for the whole run (generated before the clock starts).
      const pool = Array.from({ length: 200_000 }, (_, i) => signed(i));
      let i = 0;
      let wrapped = false;
      const m = await measure(port, () => {
        if (i === pool.length) wrapped = true;
        return pool[i++ % pool.length]!;
      });
      if (wrapped) console.warn('warning: the pool of new identities ran out; some requests were duplicates');
      return m;
    }
    const one = signed(-1);
    if (scenario === 'duplicate') {
      const res = await fetch(`http://127.0.0.1:${port}/api/webhooks/3jms/images`, { method: 'POST', headers: one.headers, body: one.body });
      if (res.status !== 201) throw new Error(`seeding the duplicate failed: ${res.status}`);
    }
    return await measure(port, () => one);
  } finally {
    child.disconnect();
    await new Promise((r) => child.once('exit', r));
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const SCENARIOS: Scenario[] = ['bare', 'new', 'duplicate', 'new-memory'];
const MODE: Record<Scenario, Mode> = { bare: 'bare', new: 'ingest', duplicate: 'ingest', 'new-memory': 'ingest-memory' };
const results: Record<Scenario, Measured[]> = { bare: [], new: [], duplicate: [], 'new-memory': [] };
for (let r = 0; r < rounds; r++) {
  for (const scenario of SCENARIOS) {
    const m = await run(MODE[scenario], scenario);
    results[scenario].push(m);
    console.log(`round ${r + 1} ${scenario.padEnd(10)} ${m.rps.toFixed(0).padStart(6)} req/s  p99 ${m.p99} ms  ${JSON.stringify(m.statuses)} errors ${m.errors}`);
    if (m.errors > 0 || m.statuses['4xx']! + m.statuses['5xx']! > 0) throw new Error(`${scenario}: unexpected errors or non-2xx answers`);
  }
}

const bare = median(results.bare.map((m) => m.rps));
console.log('');
console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${connections} connections, ${duration} s per measurement, ${rounds} rounds`);
console.log('| scenario | median req/s | median p99 ms | ratio to bare (of medians) | median of per-round ratios |');
console.log('|---|---|---|---|---|');
for (const scenario of SCENARIOS) {
  const rps = median(results[scenario].map((m) => m.rps));
  const perRound = median(results[scenario].map((m, i) => m.rps / results.bare[i]!.rps));
  console.log(`| ${scenario} | ${rps.toFixed(0)} | ${median(results[scenario].map((m) => m.p99))} | ${(rps / bare).toFixed(2)} | ${perRound.toFixed(2)} |`);
}
