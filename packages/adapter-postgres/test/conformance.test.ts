import type pg from 'pg';
import { beforeAll } from 'vitest';
import { runJobStoreConformance } from 'jobkit/testing';
import { createPostgresJobStore } from '../src/index.js';
import { describePg, useTestDatabase } from './pg-target.js';

describePg('postgres store conformance', () => {
  const db = useTestDatabase('conformance');
  let pool: pg.Pool;
  let n = 0;
  beforeAll(() => {
    pool = db.pool(20);
  });

  // A fresh schema per test: the suite needs an empty store each time.
  runJobStoreConformance({
    name: 'postgres',
    create: () => createPostgresJobStore({ pool, schema: `conf_${++n}` }),
    destroy: async (store) => {
      await store.close();
    },
  });
});
