import { migration0001 } from './0001-initial.js';
import { migration0002 } from './0002-review.js';
import type { Migration } from './types.js';

export type { Migration } from './types.js';

/** Every migration, in order. Append new ones; never edit a released one. */
export const MIGRATIONS: readonly Migration[] = [migration0001, migration0002];

/** The schema version this build writes. */
export const LATEST_SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]!.version;
