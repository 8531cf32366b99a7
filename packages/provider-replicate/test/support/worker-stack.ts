/**
 * The jobkit stack used by the worker crash test, shared by the child process and the test: a SQLite
 * job store and a local-file object store (both survive a SIGKILL), the Replicate providers pointed at
 * the fake, and stub compositor/storefront (the test stops at BG_GENERATING).
 */
import { createJobService, createLocalObjectStore, createWorker, JobkitError, type Compositor, type Storefront, type Worker } from 'jobkit';
import { createSqliteJobStore } from '@jobkit/adapter-sqlite';
import { createReplicateProviders } from '../../src/index.js';

export interface StackEnv {
  dbFile: string;
  objectsDir: string;
  baseUrl: string;
  token: string;
  /** Poll interval of the Replicate segmenter in this process. */
  pollInitialMs: number;
  leaseMs: number;
}

const compositor: Compositor = {
  name: 'stub',
  variants: 1,
  backgroundSize: () => ({ width: 1000, height: 1000 }),
  composite: async () => {
    throw new JobkitError('COMPOSITE_FAILED', 'not used in this test');
  },
};
const storefront: Storefront = {
  name: 'stub',
  push: async () => {
    throw new JobkitError('STOREFRONT_FAILED', 'not used in this test');
  },
};

export function createStack(env: StackEnv) {
  const store = createSqliteJobStore({ filename: env.dbFile });
  const service = createJobService({ store });
  const objects = createLocalObjectStore({ dir: env.objectsDir });
  const { segmenter, backgroundGenerator } = createReplicateProviders({
    auth: env.token,
    baseUrl: env.baseUrl,
    pollInitialMs: env.pollInitialMs,
    pollMaxMs: Math.max(env.pollInitialMs, 2000),
  });
  const worker: Worker = createWorker({
    service,
    objects,
    segmenter,
    backgrounds: backgroundGenerator,
    compositor,
    storefront,
    leaseMs: env.leaseMs,
    pollIntervalMs: 50,
    concurrency: 1,
  });
  return { store, service, objects, worker };
}
