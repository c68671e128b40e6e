/**
 * The gocoffee-kafka dispatcher: finds the subcommand in the COMMANDS table by its words and runs
 * it; prints the command list for `--help`, a bare group (`gocoffee-kafka schemas`) or an unknown
 * command. Exported for tests: src/cli/main.ts only wires it to the process.
 */
import { createRequire } from 'node:module';
import { COMMANDS } from './commands/index.js';
import { describeError } from './output.js';
import { EXIT, type CliCommand, type CliIo } from './types.js';

const BIN = 'gocoffee-kafka';

function packageVersion(): string {
  try {
    // src/cli/run.ts and dist/cli/run.js are both two levels below the package root.
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function commandList(commands: readonly CliCommand[]): string {
  const names = commands.map((c) => c.path.join(' '));
  const width = Math.max(...names.map((n) => n.length));
  return commands.map((c, i) => `  ${(names[i] ?? '').padEnd(width)}  ${c.summary}`).join('\n');
}

function topHelp(commands: readonly CliCommand[]): string {
  return (
    `Usage: ${BIN} <command> [options]\n\n` +
    'Tools for the Go Coffee Kafka event bus (@gocoffee/kafka).\n\n' +
    `Commands:\n${commandList(commands)}\n\n` +
    `Run "${BIN} <command> --help" for a command's options. "${BIN} --version" prints the version.\n`
  );
}

function groupHelp(group: string, commands: readonly CliCommand[]): string {
  return `Usage: ${BIN} ${group} <command> [options]\n\nCommands:\n${commandList(commands)}\n\nRun "${BIN} ${group} <command> --help" for a command's options.\n`;
}

/** Runs one command line (without the node and script arguments); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo, commands: readonly CliCommand[] = COMMANDS): Promise<number> {
  const first = argv[0];
  if (first === undefined) {
    io.stderr(topHelp(commands));
    return EXIT.USAGE;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    io.stdout(topHelp(commands));
    return EXIT.OK;
  }
  if (first === '--version' || first === '-V') {
    io.stdout(`${packageVersion()}\n`);
    return EXIT.OK;
  }

  // The longest command path that prefixes argv.
  const match = [...commands]
    .sort((a, b) => b.path.length - a.path.length)
    .find((c) => c.path.every((word, i) => argv[i] === word));
  if (match !== undefined) {
    try {
      return await match.run(argv.slice(match.path.length), io);
    } catch (err) {
      // Commands report their own errors; this is the last line of defence (no stack unless asked).
      io.stderr(`${BIN} ${match.path.join(' ')}: unexpected error ${describeError(err, argv.includes('--verbose'))}\n`);
      return EXIT.FAILED;
    }
  }

  const group = commands.filter((c) => c.path.length > 1 && c.path[0] === first);
  if (group.length > 0) {
    const rest = argv[1];
    if (rest === '--help' || rest === '-h') {
      io.stdout(groupHelp(first, group));
      return EXIT.OK;
    }
    io.stderr(`${BIN}: ${rest === undefined ? `"${first}" needs a subcommand` : `unknown command "${first} ${rest}"`}\n\n${groupHelp(first, group)}`);
    return EXIT.USAGE;
  }
  io.stderr(`${BIN}: unknown command "${first}"\n\n${topHelp(commands)}`);
  return EXIT.USAGE;
}
