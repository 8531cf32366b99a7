/** One numbered schema step. Kept in TS modules (not .sql files) so the bundled build ships them. */
export interface Migration {
  /** 1, 2, 3 … with no gaps; recorded in schema_migrations. */
  version: number;
  name: string;
  /** One or more statements, run inside the migration transaction. */
  sql: string;
}
