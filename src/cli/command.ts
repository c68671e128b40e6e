/**
 * The one command-line parser of the subcommands: `defineCommand` turns a command's option table and
 * body into a CliCommand that parses its arguments strictly (node:util parseArgs, no positionals),
 * answers `-h` / `--help` with the help text (exit 0) and a bad command line with the parser's
 * message and where to find the options (exit 2), then runs the body with the typed values.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../config/index.js';
import { CliUsageError } from './output.js';
import { EXIT, type CliCommand, type CliIo } from './types.js';

/** A command's option table (`help` / `-h` is added by defineCommand). */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

type Parsed<T extends CommandOptions> = ReturnType<typeof parseArgs<{ options: T & typeof HELP_OPTION; strict: true; allowPositionals: false }>>;

/** The values parseArgs gives for an option table (`help` included). */
export type CommandValues<T extends CommandOptions> = Parsed<T>['values'];

export interface CommandSpec<T extends CommandOptions> {
  /** The words that select it, e.g. ['schemas', 'register']. */
  readonly path: readonly string[];
  readonly summary: string;
  /** The full `--help` text. */
  readonly help: string;
  /** Its options, without `help`. */
  readonly options: T;
  /** Runs after the arguments parsed and `--help` was not asked; resolves to the exit code. */
  run(values: CommandValues<T>, io: CliIo): Promise<number>;
}

/** `gocoffee-kafka <words>`: how a command names itself in its messages. */
export function commandName(path: readonly string[]): string {
  return `gocoffee-kafka ${path.join(' ')}`;
}

/** A usage error's text for stderr: `<name>: <message>` and a pointer to the options. */
export function usageText(name: string, message: string): string {
  return `${name}: ${message}\nRun "${name} --help" for the options.\n`;
}

/** A bad command line or configuration (exit 2), as opposed to a command that ran and failed (exit 1). */
export function isUsageError(err: unknown): boolean {
  return err instanceof CliUsageError || err instanceof ConfigError;
}

/** The exit code of an error a command's body caught: 2 for a usage error, else 1. */
export function exitCodeOf(err: unknown): number {
  return isUsageError(err) ? EXIT.USAGE : EXIT.FAILED;
}

export function defineCommand<T extends CommandOptions>(spec: CommandSpec<T>): CliCommand {
  const name = commandName(spec.path);
  const options: CommandOptions = { ...spec.options, ...HELP_OPTION };
  return {
    path: spec.path,
    summary: spec.summary,
    help: spec.help,
    async run(args, io) {
      let values;
      try {
        values = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
      } catch (err) {
        io.stderr(usageText(name, (err as Error).message));
        return EXIT.USAGE;
      }
      if (values.help === true) {
        io.stdout(spec.help);
        return EXIT.OK;
      }
      return spec.run(values as CommandValues<T>, io);
    },
  };
}
