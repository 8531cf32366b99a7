import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { stopOnSignals } from '../src/shutdown.js';
import { capturingLogger } from './helpers.js';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

function harness(stop: () => Promise<void>, deadlineMs = 5_000) {
  const target = new EventEmitter();
  const exits: number[] = [];
  const log = capturingLogger();
  const handle = stopOnSignals({ stop, logger: log.logger, deadlineMs, exit: (code) => void exits.push(code), target: target as unknown as NodeJS.Process });
  return { signal: (s: NodeJS.Signals) => target.emit(s, s), exits, handle, log };
}

describe('stopOnSignals', () => {
  it('a repeated signal (a relayed copy, or a second Ctrl-C) neither stops twice nor cuts the drain short', async () => {
    let stops = 0;
    let finish!: () => void;
    const h = harness(() => {
      stops++;
      return new Promise<void>((r) => (finish = r));
    });
    h.signal('SIGTERM');
    h.signal('SIGTERM');
    h.signal('SIGINT');
    await tick(10);
    expect(stops).toBe(1);
    expect(h.exits).toEqual([]);
    expect(h.log.text()).toContain('already stopping');
    finish();
    await tick();
    expect(h.exits).toEqual([0]);
  });

  it('exits 1 when the stop fails, and at the deadline when it hangs — once', async () => {
    const failing = harness(() => Promise.reject(new Error('store close failed')));
    failing.signal('SIGTERM');
    await tick();
    expect(failing.exits).toEqual([1]);
    expect(failing.log.text()).toContain('shutdown failed');

    const hanging = harness(() => new Promise<void>(() => undefined), 50);
    hanging.signal('SIGINT');
    await tick(120);
    hanging.signal('SIGINT');
    await tick(60);
    expect(hanging.exits).toEqual([1]);
    expect(hanging.log.text()).toContain('shutdown did not finish in time');
  });

  it('a logger that throws (its output is gone) does not break the stop', async () => {
    const target = new EventEmitter();
    const exits: number[] = [];
    const throwing = {
      info: () => {
        throw new Error('EPIPE');
      },
      error: () => {
        throw new Error('EPIPE');
      },
      warn() {},
      debug() {},
      child() {
        return this;
      },
    };
    stopOnSignals({
      stop: async () => undefined,
      logger: throwing as never,
      deadlineMs: 1_000,
      exit: (c) => void exits.push(c),
      target: target as unknown as NodeJS.Process,
    });
    target.emit('SIGTERM', 'SIGTERM');
    target.emit('SIGTERM', 'SIGTERM');
    await tick();
    expect(exits).toEqual([0]);
  });
});
