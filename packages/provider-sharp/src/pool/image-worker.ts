/**
 * Entry of an image-pool thread (image-pool.ts starts it; tsup builds it as dist/image-worker.{js,cjs}).
 * Runs one task at a time and answers with a WireResult; its own errors never escape as exceptions, so a
 * rejected task on the pool side always means the thread died.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { runBackgroundTask } from '../background/generator.js';
import { runCompositeTask } from '../composite/render-composites.js';
import { runSegmentTask } from '../segment/studio-segmenter.js';
import { toWireError, type ImageTask, type WireResult } from './wire.js';

type Handler = (input: never) => Promise<{ value: unknown; transfer: ArrayBuffer[] }>;

const HANDLERS: Record<string, Handler> = {
  segment: runSegmentTask,
  composite: runCompositeTask,
  background: runBackgroundTask,
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
  }
}
