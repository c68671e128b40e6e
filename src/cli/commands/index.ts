/**
 * The one table of gocoffee-kafka subcommands. Adding a command = one module under this folder
 * exporting a CliCommand, plus one line here (e.g. `topics ensure`, `health`).
 */
import type { CliCommand } from '../types.js';
import { schemasRegisterCommand } from './schemas-register.js';
import { schemasCodegenCommand } from './schemas-codegen.js';
import { topicsEnsureCommand } from './topics-ensure.js';
import { healthCommand } from './health.js';
import { topicsConfigsCommand, topicsDeleteCommand, topicsPartitionsCommand } from './topics-admin.js';
import { groupsDeleteCommand, groupsDescribeCommand, groupsListCommand, groupsOffsetsCommand, groupsResetCommand } from './groups.js';

export const COMMANDS: readonly CliCommand[] = Object.freeze([
  schemasRegisterCommand,
  schemasCodegenCommand,
  topicsEnsureCommand,
  topicsDeleteCommand,
  topicsPartitionsCommand,
  topicsConfigsCommand,
  groupsListCommand,
  groupsDescribeCommand,
  groupsDeleteCommand,
  groupsOffsetsCommand,
  groupsResetCommand,
  healthCommand,
]);
