import { invalidInput } from 'jobkit';

/**
 * The schema name is the only identifier ever built into SQL text, so it is validated against a strict
 * pattern (lowercase, no quoting tricks, short enough for derived names such as the NOTIFY channel) and
 * then always double-quoted.
 */
export const SCHEMA_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,39}$/;

export const DEFAULT_SCHEMA = 'jobkit';

export function validateSchemaName(value: unknown, field = 'schema'): string {
  if (typeof value !== 'string' || !SCHEMA_NAME_PATTERN.test(value)) {
    throw invalidInput(field, 'must match ^[a-z_][a-z0-9_]{0,39}$');
  }
  if (value.startsWith('pg_')) throw invalidInput(field, 'must not start with "pg_" (reserved by PostgreSQL)');
  return value;
}

/** `"name"` — safe only for names that passed validateSchemaName. */
export function quoteIdent(validated: string): string {
  return `"${validated}"`;
}

/** NOTIFY channel of a schema's job table (a channel is an identifier: derived from the validated name). */
export function channelFor(schema: string): string {
  return `jobkit_${schema}_jobs`;
}
