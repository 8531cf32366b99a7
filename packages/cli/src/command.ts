/** The shape of one sub-command: its flags, its help text and what it does. */
import type { OptionSpec, ParsedValues } from './args.js';
import type { CliIo, ExitCode } from './io.js';

export interface CommandContext {
  io: CliIo;
  values: ParsedValues;
  positionals: string[];
  json: boolean;
  /** Absolute data directory (--data-dir, JOBKIT_DATA_DIR, ./jobkit-data). */
  dataDir: string;
}

export interface Command {
  name: string;
  /** One line for the program help. */
  summary: string;
  /** Full `jobkit <name> --help` text. */
  help: string;
  options: OptionSpec;
  allowPositionals: boolean;
  run(ctx: CommandContext): Promise<ExitCode>;
}
