/** `gocoffee-kafka topics delete | partitions | configs`: topic administration with --dry-run. */
import { TopicManager } from '../../admin/index.js';
import { defineCommand } from '../command.js';
import { renderTable } from '../output.js';
import { COMMON_HELP, COMMON_OPTIONS, DRY_RUN_NOTE, EXIT_HELP, keyValues, positiveInt, print, required, runAdmin } from './admin-common.js';

export const topicsDeleteCommand = defineCommand({
  path: ['topics', 'delete'],
  summary: 'Delete topics (--dry-run: show which exist)',
  help: `Usage: gocoffee-kafka topics delete --topic <name> [--topic <name> …] [options]

Deletes the topics and every message in them. Names are full topic names (no suffix is added).

Options:
  --topic <name>    A topic to delete, repeatable.
  --dry-run         Show which of the topics exist and their partitions; delete nothing.
${COMMON_HELP}

${EXIT_HELP}
`,
  options: { ...COMMON_OPTIONS, topic: { type: 'string', multiple: true }, 'dry-run': { type: 'boolean' } },
  run(values, io) {
    const parse = () => {
      required('topic', values.topic?.[0]);
      return values.topic!;
    };
    return runAdmin('topics delete', values, io, parse, async (cm, topics) => {
      const r = await new TopicManager(cm).deleteTopics(topics, { dryRun: values['dry-run'] === true });
      return print(io, values.json, r, () =>
        renderTable(['TOPIC', 'PARTITIONS', r.dryRun ? 'WOULD' : 'STATUS'], r.topics.map((t) => [t.topic, String(t.partitions), !t.exists ? 'missing' : r.dryRun ? 'delete' : 'deleted'])) + (r.dryRun ? DRY_RUN_NOTE : ''),
      );
    });
  },
});

export const topicsPartitionsCommand = defineCommand({
  path: ['topics', 'partitions'],
  summary: 'Raise the partition count of a topic (--dry-run: validated by the broker only)',
  help: `Usage: gocoffee-kafka topics partitions --topic <name> --total <n> [options]

Raises the topic's partition count to <n> (Kafka cannot lower it). Keyed messages published
afterwards may go to other partitions than before, which breaks per-key order across the change.

Options:
  --topic <name>    The topic.
  --total <n>       The new total number of partitions.
  --dry-run         The controller validates the request; nothing changes.
${COMMON_HELP}

${EXIT_HELP}
`,
  options: { ...COMMON_OPTIONS, topic: { type: 'string' }, total: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  run(values, io) {
    const parse = () => ({ topic: required('topic', values.topic), total: positiveInt('total', values.total) });
    return runAdmin('topics partitions', values, io, parse, async (cm, { topic, total }) => {
      const r = await new TopicManager(cm).createPartitions(topic, total, { dryRun: values['dry-run'] === true });
      return print(io, values.json, r, () => `${r.topic}: ${r.from} → ${r.to} partitions${r.dryRun ? '' : ' (done)'}\n${r.dryRun ? DRY_RUN_NOTE : ''}`);
    });
  },
});

export const topicsConfigsCommand = defineCommand({
  path: ['topics', 'configs'],
  summary: 'Show a topic\'s configs, or set / delete some (--dry-run: validated only)',
  help: `Usage: gocoffee-kafka topics configs --topic <name> [--set k=v …] [--delete k …] [options]

Without --set / --delete: lists the topic's configs set on the topic (--all: every config, with
its source). With them: changes only the named keys (incremental; --delete restores the default)
and prints each change with the value before.

Options:
  --topic <name>    The topic.
  --set <k=v>       Set a config, repeatable (e.g. --set retention.ms=604800000).
  --delete <k>      Delete a config (back to the broker default), repeatable.
  --all             Listing: every config, not only those set on the topic.
  --dry-run         The broker validates the changes; nothing changes.
${COMMON_HELP}

${EXIT_HELP}
`,
  options: { ...COMMON_OPTIONS, topic: { type: 'string' }, set: { type: 'string', multiple: true }, delete: { type: 'string', multiple: true }, all: { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
  run(values, io) {
    const parse = () => ({ topic: required('topic', values.topic), set: keyValues('set', values.set), del: values.delete ?? [] });
    return runAdmin('topics configs', values, io, parse, async (cm, { topic, set, del }) => {
      const tm = new TopicManager(cm);
      if (Object.keys(set).length === 0 && del.length === 0) {
        const all = await tm.describeTopicConfigs(topic);
        const shown = values.all === true ? all : all.filter((c) => c.source === 'DYNAMIC_TOPIC_CONFIG');
        return print(io, values.json, shown, () =>
          renderTable(['NAME', 'VALUE', 'SOURCE', 'READ-ONLY'], shown.map((c) => [c.name, c.isSensitive ? '(sensitive)' : (c.value ?? ''), c.source, c.readOnly ? 'yes' : ''])),
        );
      }
      const r = await tm.alterTopicConfigs(topic, { set, delete: del }, { dryRun: values['dry-run'] === true });
      return print(io, values.json, r, () =>
        renderTable(['NAME', 'FROM', 'TO'], r.changes.map((c) => [c.name, c.from ?? '', c.to ?? '(default)'])) + (r.dryRun ? DRY_RUN_NOTE : ''),
      );
    });
  },
});
