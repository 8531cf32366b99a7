/**
 * Entry of an image-pool thread (image-pool.ts starts it; tsup builds it as dist/image-worker.{js,cjs}).
 * Runs one task at a time and answers with a WireResult; its own errors never escape as exceptions, so a
 * rejected task on the pool side always means the thread died.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import sharp from 'sharp';
import { runBackgroundTask } from '../background/generator.js';
import { runCompositeTask } from '../composite/render-composites.js';
import { runAssessTask } from '../gate/sharp-quality-gate.js';
import { runSegmentTask } from '../segment/studio-segmenter.js';
import { toWireError, type ImageTask, type WireResult } from './wire.js';

type Handler = (input: never) => Promise<{ value: unknown; transfer: ArrayBuffer[] }>;

/**
 * A task leaves hundreds of megabytes of pixel buffers behind (a 12 MP photo decoded, its masks, its
 * cutout), and an idle thread runs no garbage collection to free them: they would stay resident until
 * the next task. So each thread collects once its task has answered. `gc` is exposed to this thread's
 * isolate only through a fresh context (the flag is read when a context is created).
 */
const collect: (() => void) | null = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
})();

// libvips' operation cache (process-wide) keeps recent results for reuse: every photo here is new, so it
// would only hold memory (up to 50 MB and 20 open files by default).
sharp.cache(false);

const HANDLERS: Record<string, Handler> = {
  segment: runSegmentTask,
  composite: runCompositeTask,
  background: runBackgroundTask,
  assess: runAssessTask,
};

export default async function runImageTask(task: ImageTask): Promise<WireResult | object> {
  const handler = HANDLERS[task.kind];
  if (!handler) return { ok: false, error: toWireError(new Error(`unknown image task ${JSON.stringify(task.kind)}`)) } satisfies WireResult;
  try {
    const { value, transfer } = await handler(task.input as never);
    // piscina's transferable wrapper: the result's buffers are moved to the caller, not copied.
    return move({ [transferableSymbol]: transfer, [valueSymbol]: { ok: true, value } satisfies WireResult } as never) as object;
  } catch (err) {
    return { ok: false, error: toWireError(err) } satisfies WireResult;
  } finally {
    if (collect) setImmediate(collect); // runs once this task's answer is posted
  }
}
