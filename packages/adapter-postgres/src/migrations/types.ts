/** One schema version. `up` returns the statements to run, given the quoted schema name. */
export interface Migration {
  version: number;
  name: string;
  up(schema: string): string[];
}
