/**
 * The configuration reference (docs/configuration.md), rendered from CONFIG_FIELDS (so the two cannot drift: a
 * docs check can compare docs/configuration.md's table with this output).
 */
import { CONFIG_FIELDS } from './fields.js';
import { TOPIC_ENV_PREFIX } from './topics.js';

const OWN_TOPICS =
  'Any other key names a topic of your own events (letters, digits, _): `order_placed` in YAML, GOCOFFEE_KAFKA_TOPICS_ORDER_PLACED, `orderPlaced` in KafkaConfig.topics and in defineEvents() ({ topicKey: \'orderPlaced\' }); topic_suffix is appended.';

const cell = (text: string): string => text.replace(/\|/g, '\\|');
const code = (text: string): string => `\`${text}\``;

/** A Markdown table: YAML key, environment variable(s), default, librdkafka properties, description. */
export function renderConfigReference(): string {
  const rows = CONFIG_FIELDS.map((f) => {
    const env = [f.env, ...f.envAliases].map(code).join(' or ');
    const props = f.librdkafka.length > 0 ? f.librdkafka.map(code).join(', ') : '—';
    const secret = f.secret ? ' (secret)' : '';
    return `| ${code(f.yamlKey)} | ${env} | ${cell(f.defaultText)} | ${props} | ${cell(f.description)}${secret} |`;
  });
  // Topic keys of the application's own, after the Go Coffee ones.
  const lastTopic = CONFIG_FIELDS.map((f) => f.kind).lastIndexOf('topic');
  rows.splice(lastTopic + 1, 0, `| ${code('topics.<your_key>')} | ${code(`${TOPIC_ENV_PREFIX}<YOUR_KEY>`)} | (none) | — | ${cell(OWN_TOPICS)} |`);
  return [
    '| YAML key (under `kafka:`) | Environment variable | Default | librdkafka | Description |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
