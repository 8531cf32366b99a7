/**
 * An image-pool worker whose threads die (used by pool-crash.test.ts): `exit` ends the thread with
 * process.exit (in a worker thread that ends only the thread), `throw` raises an uncaught exception
 * outside the task's promise, `segment` dies the same way a thread would in the middle of a photo.
 * Anything else is handed to the real worker.
 */
import runImageTask from '../src/pool/image-worker.js';
import type { ImageTask } from '../src/pool/wire.js';

export default async function crashingWorker(task: ImageTask): Promise<unknown> {
  if (task.kind === 'exit' || task.kind === 'segment') process.exit(3);
  if (task.kind === 'throw') {
    setImmediate(() => {
      throw new Error('uncaught in the image thread');
    });
    return new Promise(() => {}); // never answers: only the crash ends this task
  }
  return runImageTask(task);
}
