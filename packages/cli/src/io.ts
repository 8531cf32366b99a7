/**
 * What the CLI talks to: output streams, environment, working directory and an interrupt signal. `main`
 * takes these as an argument so tests run the whole program in-process with fake streams.
 */

/** A stream the CLI writes text to. `isTTY` switches the progress bar on; `columns` sizes it. */
export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean | undefined;
  columns?: number | undefined;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Readonly<Record<string, string | undefined>>;
  /** Relative paths (input folder, --data-dir, --out) resolve against this directory. */
  cwd: string;
  /** Aborted on Ctrl-C (the bin wires SIGINT): long commands stop gracefully and exit 130. */
  signal?: AbortSignal | undefined;
  /**
   * The network the hosted segmenter (Replicate) talks through; default globalThis.fetch. Wrappers can add
   * a proxy here; tests point it at a contract fake.
   */
  fetch?: ((input: Request | string | URL, init?: RequestInit) => Promise<Response>) | undefined;
}

/** Process exit codes (README "Exit codes"). */
export const EXIT = {
  OK: 0,
  /** A job failed, an input row was rejected as an error, or an operation failed. */
  FAILURE: 1,
  /** Bad command line: unknown command or flag, bad flag value, missing input. */
  USAGE: 2,
  /** Nothing failed, but jobs wait in REVIEW for a person (`jobkit review`): not on the storefront yet. */
  HELD: 3,
  /** Interrupted with Ctrl-C (128 + SIGINT). */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A command-line mistake: printed with a hint to --help, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
