/**
 * Progress on stderr: a cli-progress bar on a terminal; on anything else (CI logs, pipes, tests) a plain
 * line every few seconds, so logs stay readable and grep-able.
 */
import cliProgress from 'cli-progress';
import type { OutputStream } from './io.js';
import { formatDuration, formatUsd } from './output.js';

export interface ProgressSnapshot {
  /** Jobs that need work in this run (already-done ones are not counted). */
  total: number;
  done: number;
  failed: number;
  /** Waiting in REVIEW for a person: finished as far as this run goes. */
  held: number;
  skipped: number;
  retrying: number;
  spendUsd: number;
}

export interface ProgressReporter {
  update(snapshot: ProgressSnapshot): void;
  /** Prints the final state and releases the terminal. */
  stop(): void;
}

export interface ProgressOptions {
  stream: OutputStream;
  /** false: print nothing (--quiet). */
  enabled: boolean;
  /** Plain-mode period; default 5 s. */
  intervalMs?: number;
  now?: () => number;
}

export function createProgress(opts: ProgressOptions): ProgressReporter {
  if (!opts.enabled) return { update() {}, stop() {} };
  return opts.stream.isTTY === true ? createBar(opts) : createPlain(opts);
}

interface Rates {
  perMin: string;
  eta: string;
}

function rates(s: ProgressSnapshot, startedAt: number, now: number): Rates {
  const finished = s.done + s.failed + s.held;
  const elapsed = Math.max(1, now - startedAt);
  const perMs = finished / elapsed;
  const remaining = Math.max(0, s.total - finished);
  return {
    perMin: (perMs * 60_000).toFixed(1),
    eta: finished === 0 ? '—' : remaining === 0 ? '0 s' : formatDuration(remaining / perMs),
  };
}

function createBar(opts: ProgressOptions): ProgressReporter {
  const now = opts.now ?? Date.now;
  const startedAt = now();
  const bar = new cliProgress.SingleBar(
    {
      // The stream is a real TTY here (isTTY checked), which is what cli-progress drives.
      stream: opts.stream as unknown as NodeJS.WritableStream,
      format: '{bar} {value}/{total} | done {done} failed {failed}{held} skipped {skipped}{retrying} | {rate}/min | ETA {etaText} | {spend}',
      hideCursor: true,
      clearOnComplete: false,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const payload = (s: ProgressSnapshot) => {
    const r = rates(s, startedAt, now());
    return {
      done: s.done,
      failed: s.failed,
      held: s.held > 0 ? ` held ${s.held}` : '',
      skipped: s.skipped,
      retrying: s.retrying > 0 ? ` retrying ${s.retrying}` : '',
      rate: r.perMin,
      etaText: r.eta,
      spend: formatUsd(s.spendUsd),
    };
  };
  return {
    update(s) {
      if (!started) {
        // cli-progress draws 0/0 as a full bar: wait for the first job.
        if (s.total === 0) return;
        bar.start(s.total, s.done + s.failed + s.held, payload(s));
        started = true;
        return;
      }
      bar.setTotal(s.total);
      bar.update(s.done + s.failed + s.held, payload(s));
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function createPlain(opts: ProgressOptions): ProgressReporter {
  const now = opts.now ?? Date.now;
  const startedAt = now();
  let last: ProgressSnapshot | null = null;
  let printed: string | null = null;
  const print = () => {
    if (!last) return;
    const s = last;
    const r = rates(s, startedAt, now());
    const line = `progress: ${s.done + s.failed + s.held}/${s.total} done ${s.done} failed ${s.failed}${s.held > 0 ? ` held ${s.held}` : ''} skipped ${s.skipped}${s.retrying > 0 ? ` retrying ${s.retrying}` : ''} | ${r.perMin}/min | ETA ${r.eta} | ${formatUsd(s.spendUsd)}`;
    // Identical consecutive lines add nothing to a log.
    if (line === printed) return;
    printed = line;
    opts.stream.write(`${line}\n`);
  };
  const timer = setInterval(print, opts.intervalMs ?? 5_000);
  timer.unref?.();
  return {
    update(s) {
      last = s;
    },
    stop() {
      clearInterval(timer);
      print();
    },
  };
}
