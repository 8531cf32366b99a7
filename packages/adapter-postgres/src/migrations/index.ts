import { initial } from './001-initial.js';
import { review } from './002-review.js';
import type { Migration } from './types.js';

export type { Migration } from './types.js';

/** Every migration, in order. Append only: never edit a released one. */
export const MIGRATIONS: readonly Migration[] = [initial, review];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
