#!/usr/bin/env node
/**
 * gocoffee-kafka: the package binary (dist/cli/main.js). From source:
 *   node --import tsx src/cli/main.ts <command> [options]
 * Subcommands are listed in src/cli/commands/index.ts.
 */
import { runCli } from './run.js';

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
// exitCode, not exit(): let stdout drain (a piped --json summary must arrive whole).
process.exitCode = code;
