/**
 * The program: picks the command, parses its flags, runs it, and maps every error to a message on stderr
 * and an exit code (2 usage, 1 failure). Never calls process.exit, so tests run it in-process.
 */
import { JobkitError } from 'jobkit';
import { parseCommandLine, resolveDataDir } from './args.js';
import type { Command } from './command.js';
import { cleanupCommand } from './commands/cleanup.js';
import { jobsCommand } from './commands/jobs.js';
import { migrateCommand } from './commands/migrate.js';
import { processCommand } from './commands/process.js';
import { retryCommand } from './commands/retry.js';
import { reviewCommand } from './commands/review.js';
import { statsCommand } from './commands/stats.js';
import { EXIT, UsageError, type CliIo, type ExitCode } from './io.js';
import { writeJson, writeLine } from './output.js';
import { VERSION } from './version.js';

export const COMMANDS: readonly Command[] = [processCommand, jobsCommand, reviewCommand, statsCommand, retryCommand, cleanupCommand, migrateCommand];

export function programHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `jobkit ${VERSION} — turn product photos into storefront-ready images

Usage: jobkit <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Every command takes --data-dir <dir> (env JOBKIT_DATA_DIR, default ./jobkit-data) and --json.
Run \`jobkit <command> --help\` for its options.

  -h, --help       show this help
  -v, --version    print the version`;
}

export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const args = [...argv];
  const json = args.includes('--json');
  const [first, ...rest] = args;
  if (first === undefined) {
    writeLine(io.stderr, programHelp());
    return EXIT.USAGE;
  }
  if (first === '--help' || first === '-h') {
    writeLine(io.stdout, programHelp());
    return EXIT.OK;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    if (json) writeJson(io.stdout, { version: VERSION });
    else writeLine(io.stdout, VERSION);
    return EXIT.OK;
  }
  if (first === 'help') {
    const target = rest[0] === undefined ? undefined : COMMANDS.find((c) => c.name === rest[0]);
    if (rest[0] !== undefined && !target) return usageFailure(io, json, null, unknownCommand(rest[0]));
    writeLine(io.stdout, target ? target.help : programHelp());
    return EXIT.OK;
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) {
    return usageFailure(io, json, null, first.startsWith('-') ? `expected a command before ${first}` : unknownCommand(first));
  }
  try {
    const { values, positionals } = parseCommandLine(rest, command.options, command.allowPositionals);
    if (values.help === true) {
      writeLine(io.stdout, command.help);
      return EXIT.OK;
    }
    return await command.run({ io, values, positionals, json: values.json === true, dataDir: resolveDataDir(values, io) });
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(io, json, command, e.message);
    if (JobkitError.is(e, 'INVALID_INPUT')) return usageFailure(io, json, command, e.message);
    const err = JobkitError.is(e) ? e : null;
    const message = err ? `${err.code}: ${err.message}` : `unexpected error: ${(e as Error)?.message ?? String(e)}`;
    writeLine(io.stderr, `jobkit ${command.name}: ${message}`);
    if (!err && io.env.JOBKIT_DEBUG && e instanceof Error && e.stack) writeLine(io.stderr, e.stack);
    if (json) writeJson(io.stdout, { error: { code: err?.code ?? 'INTERNAL', message: err?.message ?? (e as Error)?.message ?? String(e) } });
    return EXIT.FAILURE;
  }
}

function unknownCommand(name: string): string {
  const near = COMMANDS.find((c) => c.name.startsWith(name.slice(0, 2)) || name.startsWith(c.name));
  return `unknown command ${JSON.stringify(name)}${near ? ` (did you mean \`${near.name}\`?)` : ''}; commands: ${COMMANDS.map((c) => c.name).join(', ')}`;
}

function usageFailure(io: CliIo, json: boolean, command: Command | null, message: string): ExitCode {
  const prefix = command ? `jobkit ${command.name}` : 'jobkit';
  writeLine(io.stderr, `${prefix}: ${message}`);
  writeLine(io.stderr, `Run \`${command ? `jobkit ${command.name} --help` : 'jobkit --help'}\` for usage.`);
  if (json) writeJson(io.stdout, { error: { code: 'USAGE', message } });
  return EXIT.USAGE;
}
