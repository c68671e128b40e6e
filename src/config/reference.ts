/**
 * The configuration reference (docs/configuration.md), rendered from CONFIG_FIELDS (so the two cannot drift: a
 * docs check can compare docs/configuration.md's table with this output).
 */
import { CONFIG_FIELDS } from './fields.js';

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
  return [
    '| YAML key (under `kafka:`) | Environment variable | Default | librdkafka | Description |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
