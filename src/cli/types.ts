/**
 * The shape of a CLI subcommand. Every subcommand is one module under src/cli/commands/ that
 * exports a `CliCommand` (built with defineCommand, src/cli/command.ts, which parses its options),
 * listed once in the COMMANDS table of src/cli/commands/index.ts.
 */

/** Where a command writes and what it reads from its environment (tests pass their own). */
export interface CliIo {
  /** Writes text as is (add '\n' yourself). */
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

export interface CliCommand {
  /** The words that select it, e.g. ['schemas', 'register']. */
  readonly path: readonly string[];
  /** One line for the command list. */
  readonly summary: string;
  /** The full `--help` text. */
  readonly help: string;
  /** Runs with the arguments after the command words; resolves to the exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** Exit codes of every command. */
export const EXIT = Object.freeze({
  OK: 0,
  /** The command ran and failed (incompatible schema, registry unreachable, invalid file, ...). */
  FAILED: 1,
  /** Bad command line: unknown command or option, missing value. */
  USAGE: 2,
});
