/** `gocoffee-kafka groups list | describe | delete | offsets | reset`: consumer-group administration. */
import { GROUP_STATES, GroupAdmin, type GroupState } from '../../admin/index.js';
import { defineCommand } from '../command.js';
import { CliUsageError, renderTable } from '../output.js';
import { COMMON_HELP, COMMON_OPTIONS, DRY_RUN_NOTE, EXIT_HELP, parseResetTo, print, required, runAdmin } from './admin-common.js';

const str = (n: number | null): string => (n === null ? '-' : String(n));

export const groupsListCommand = defineCommand({
  path: ['groups', 'list'],
  summary: 'List the consumer groups of the cluster',
  help: `Usage: gocoffee-kafka groups list [--state <state> …] [options]

Options:
  --state <state>   Only groups in this state, repeatable: ${GROUP_STATES.join(', ')}.
${COMMON_HELP}

${EXIT_HELP}
`,
  options: { ...COMMON_OPTIONS, state: { type: 'string', multiple: true } },
  run(values, io) {
    const parse = () => {
      const states = values.state ?? [];
      const bad = states.filter((s) => !GROUP_STATES.includes(s as GroupState));
      if (bad.length > 0) throw new CliUsageError(`--state: unknown state ${bad.join(', ')} (one of ${GROUP_STATES.join(', ')})`);
      return states as GroupState[];
    };
    return runAdmin('groups list', values, io, parse, async (cm, states) => {
      const groups = await new GroupAdmin(cm).listGroups({ states });
      return print(io, values.json, groups, () => renderTable(['GROUP', 'STATE', 'TYPE'], groups.map((g) => [g.groupId, g.state, g.type])));
    });
  },
});

export const groupsDescribeCommand = defineCommand({
  path: ['groups', 'describe'],
  summary: 'Show a consumer group: state, coordinator, members and their partitions',
  help: `Usage: gocoffee-kafka groups describe --group <id> [options]

A group that does not exist is shown as Dead with no members.

Options:
  --group <id>      The consumer group.
${COMMON_HELP}

${EXIT_HELP}
`,
  options: { ...COMMON_OPTIONS, group: { type: 'string' } },
  run(values, io) {
    return runAdmin('groups describe', values, io, () => required('group', values.group), async (cm, group) => {
      const [d] = await new GroupAdmin(cm).describeGroups([group]);
      return print(io, values.json, d, () => {
        const head = `group ${d!.groupId}: ${d!.state} (${d!.type}${d!.assignor ? `, ${d!.assignor}` : ''}), coordinator ${d!.coordinator ? `${d!.coordinator.id} ${d!.coordinator.host}:${d!.coordinator.port}` : '-'}, ${d!.members.length} member(s)\n`;
        if (d!.members.length === 0) return head;
        const rows = d!.members.map((m) => [m.memberId, m.clientId, m.host, m.assignment.map((a) => `${a.topic}[${a.partition}]`).join(' ')]);
        return head + renderTable(['MEMBER', 'CLIENT', 'HOST', 'PARTITIONS'], rows);
      });
    });
  },
});

export const groupsDeleteCommand = defineCommand({
  path: ['groups', 'delete'],
  summary: 'Delete consumer groups and their committed offsets (refused while they have members)',
  help: `Usage: gocoffee-kafka groups delete --group <id> [--group <id> …] [options]

Kafka deletes only empty groups: stop their consumers first. All the groups are checked before
anything is deleted: while one of them has members, exit 1 with GCK_KAFKA_NON_EMPTY_GROUP and
nothing is deleted. A group that does not exist is shown as missing and skipped (not an error).
Kafka deletes each group on its own: should the broker refuse some (e.g. a consumer joined one
after the check), the others are deleted all the same, and the error (exit 1) says which were
deleted and which not.

Options:
  --group <id>      A group to delete, repeatable.
  --dry-run         Show the groups and their state; delete nothing.
${COMMON_HELP}

${EXIT_HELP}
`,
  options: { ...COMMON_OPTIONS, group: { type: 'string', multiple: true }, 'dry-run': { type: 'boolean' } },
  run(values, io) {
    const parse = () => {
      required('group', values.group?.[0]);
      return values.group!;
    };
    return runAdmin('groups delete', values, io, parse, async (cm, groups) => {
      const r = await new GroupAdmin(cm).deleteGroups(groups, { dryRun: values['dry-run'] === true });
      return print(io, values.json, r, () =>
        renderTable(['GROUP', 'STATE', r.dryRun ? 'WOULD' : 'STATUS'], r.groups.map((g) => [g.groupId, g.state, !g.exists ? 'missing' : r.dryRun ? 'delete' : 'deleted'])) + (r.dryRun ? DRY_RUN_NOTE : ''),
      );
    });
  },
});

export const groupsOffsetsCommand = defineCommand({
  path: ['groups', 'offsets'],
  summary: 'Committed offsets and lag of a consumer group',
  help: `Usage: gocoffee-kafka groups offsets --group <id> [--topic <name>] [options]

Per partition: the committed offset, the end offset and the lag. Without --topic: every partition
the group committed; with it: every partition of the topic ("-" where nothing is committed).

Options:
  --group <id>      The consumer group.
  --topic <name>    Only this topic (all its partitions).
${COMMON_HELP}

${EXIT_HELP}
`,
  options: { ...COMMON_OPTIONS, group: { type: 'string' }, topic: { type: 'string' } },
  run(values, io) {
    return runAdmin('groups offsets', values, io, () => required('group', values.group), async (cm, group) => {
      const offsets = await new GroupAdmin(cm).groupOffsets(group, values.topic !== undefined ? { topic: values.topic } : {});
      return print(io, values.json, offsets, () =>
        renderTable(['TOPIC', 'PARTITION', 'COMMITTED', 'LATEST', 'LAG'], offsets.map((o) => [o.topic, String(o.partition), str(o.committed), str(o.latest), str(o.lag)])),
      );
    });
  },
});

export const groupsResetCommand = defineCommand({
  path: ['groups', 'reset'],
  summary: 'Reset a group\'s committed offsets on a topic (the group must be empty)',
  help: `Usage: gocoffee-kafka groups reset --group <id> --topic <name> --to <target> [options]

Moves the group's committed offsets on every partition of the topic. Kafka accepts this only for
an empty group: stop its consumers first (exit 1 with GCK_KAFKA_NON_EMPTY_GROUP otherwise, nothing
changed). Targets beyond a partition's earliest / latest offset are clamped to it.

Options:
  --group <id>      The consumer group.
  --topic <name>    The topic.
  --to <target>     earliest | latest | <offset> (every partition) | <ISO time>, e.g.
                    2026-12-07T10:00:00Z (the first message at or after it; the end if none).
  --dry-run         Print the plan (from → to per partition); commit nothing.
${COMMON_HELP}

${EXIT_HELP}
`,
  options: { ...COMMON_OPTIONS, group: { type: 'string' }, topic: { type: 'string' }, to: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  run(values, io) {
    const parse = () => ({ group: required('group', values.group), topic: required('topic', values.topic), to: parseResetTo(values.to) });
    return runAdmin('groups reset', values, io, parse, async (cm, { group, topic, to }) => {
      const r = await new GroupAdmin(cm).resetGroupOffsets(group, topic, to, { dryRun: values['dry-run'] === true });
      return print(io, values.json, r, () =>
        renderTable(['TOPIC', 'PARTITION', 'FROM', 'TO'], r.partitions.map((p) => [topic, String(p.partition), str(p.from), `${p.to}${p.clamped ? ' (clamped)' : ''}`])) + (r.dryRun ? DRY_RUN_NOTE : ''),
      );
    });
  },
});
