import { migration0001 } from './0001-initial.js';
import type { Migration } from './types.js';

export type { Migration } from './types.js';

/** Every migration, in order. Append new ones; never edit a released one. */
export const MIGRATIONS: readonly Migration[] = [migration0001];

/** The schema version this build writes. */
export const LATEST_SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]!.version;
