/**
 * Preloaded into the server under test (`node --import tsx --import ./bench/pipeline/probe.ts …`): measures
 * from inside the process what only the process can see, and answers the benchmark over the IPC channel.
 *
 * - event-loop delay: perf_hooks.monitorEventLoopDelay (10 ms resolution), reset at the measured start;
 *   the histogram holds the intervals between its 10 ms timer's runs, so the delay is that minus 10 ms
 * - CPU: process.cpuUsage() — user + system of every thread (main, worker threads, libuv pool)
 * - memory: VmRSS and VmHWM from /proc/self/status; the high-water mark is reset at the measured start
 *   (writing 5 to /proc/self/clear_refs), so "peak RSS" covers the run, not the TypeScript start-up
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import { sharedImagePool } from '@jobkit/provider-sharp';

export interface ProbeSample {
  cpuUs: number;
  rssKb: number;
  hwmKb: number;
  eld: { p50: number; p99: number; max: number; mean: number };
  hwmReset: boolean;
  /** The main thread's V8 heap and ArrayBuffers (Buffers), MB. */
  heapMb: number;
  arrayBuffersMb: number;
  /** Main thread: time spent running (not waiting in the event loop) since the reset, ms. */
  mainActiveMs: number;
  /** The sharp providers' shared image pool (the reference server uses it): tasks running and waiting now. */
  pool: { running: number; waiting: number; inUse: number };
}

const RESOLUTION_MS = 10;
const eld = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
eld.enable();
let hwmReset = false;
let elu0: EventLoopUtilization = performance.eventLoopUtilization();

function status(field: string): number {
  const m = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) : 0;
}

process.on('message', (msg: { type?: string; id?: number }) => {
  if (msg?.type === 'reset') {
    eld.reset();
    elu0 = performance.eventLoopUtilization();
    try {
      writeFileSync('/proc/self/clear_refs', '5');
      hwmReset = true;
    } catch {
      hwmReset = false;
    }
  }
  if (msg?.type === 'reset' || msg?.type === 'sample') {
    const cpu = process.cpuUsage();
    const ms = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    const sample: ProbeSample = {
      cpuUs: cpu.user + cpu.system,
      rssKb: status('VmRSS'),
      hwmKb: status('VmHWM'),
      eld: { p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max), mean: ms(eld.mean) },
      hwmReset,
      heapMb: process.memoryUsage().heapUsed / 1048576,
      arrayBuffersMb: process.memoryUsage().arrayBuffers / 1048576,
      mainActiveMs: performance.eventLoopUtilization(elu0).active,
      pool: (({ running, waiting, inUse }) => ({ running, waiting, inUse }))(sharedImagePool().stats()),
    };
    process.send?.({ type: 'probe', id: msg.id, sample });
  }
});
