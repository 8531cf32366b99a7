import { join } from 'node:path';
import { afterAll } from 'vitest';
import { runJobStoreConformance } from 'jobkit/testing';
import { createSqliteJobStore } from '../src/index.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;

runJobStoreConformance({
  name: 'sqlite (temp file, WAL)',
  create: () => createSqliteJobStore({ filename: join(tmp.dir, `conformance-${n++}.db`) }),
  destroy: (store) => store.close(),
});

runJobStoreConformance({
  name: 'sqlite (:memory:)',
  create: () => createSqliteJobStore({ filename: ':memory:' }),
  destroy: (store) => store.close(),
});
