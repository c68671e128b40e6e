/**
 * loadConfig: YAML file → `${VAR}` expansion → GOCOFFEE_KAFKA_* environment overrides →
 * programmatic overrides → one validation pass → a deeply frozen KafkaConfig.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue } from './errors.js';
import { isPlainObject } from './expand.js';
import { YAML_SECTION } from './fields.js';
import { describeValue } from './parse.js';
import { finishConfig } from './resolve.js';
import { collectEnv, collectInput, collectYaml, newCollected } from './sources.js';
import type { KafkaConfig, KafkaConfigInput } from './types.js';

export interface LoadConfigOptions {
  /** A YAML file with a top-level `kafka:` section (other top-level sections are ignored). */
  file?: string | undefined;
  /** Variables for `${VAR}` placeholders and GOCOFFEE_KAFKA_* overrides; default process.env. */
  env?: NodeJS.ProcessEnv | undefined;
  /** Applied last: wins over the file and the environment. */
  overrides?: KafkaConfigInput | undefined;
}

/**
 * Loads the configuration once. Precedence, lowest first: defaults, the YAML file, environment
 * variables, `overrides`. Relative TLS file paths in the YAML file resolve against the file's
 * directory; elsewhere against the working directory.
 * @throws ConfigError naming the file when it cannot be read or parsed, else listing every issue.
 */
export function loadConfig(options: LoadConfigOptions = {}): KafkaConfig {
  const env = options.env ?? process.env;
  const issues: ConfigIssue[] = [];
  const collected = newCollected();
  if (options.file !== undefined) {
    const file = resolvePath(options.file);
    collectYaml(readKafkaSection(file), env, dirname(file), issues, collected);
  }
  collectEnv(env, issues, collected);
  if (options.overrides !== undefined) collectInput(options.overrides, issues, collected);
  return finishConfig(collected, issues);
}

/** Reads a YAML file and returns its `kafka:` mapping (plain JS values). */
export function readKafkaSection(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const reason = code === 'ENOENT' ? 'the file does not exist' : code === 'EISDIR' ? 'it is a directory' : `it cannot be read (${code})`;
    throw new ConfigError([{ path: file, message: `cannot load the configuration file: ${reason}` }], { cause: err });
  }

  // prettyErrors is off: its messages quote the offending source line, which may hold a secret.
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const at = lines.linePos(e.pos[0]);
        return { path: `${file}:${at.line}:${at.col}`, message: `YAML syntax error: ${e.message} (${e.code})` };
      }),
    );
  }
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError([{ path: file, message: `YAML error: ${(err as Error).message}` }]);
  }
  if (!isPlainObject(root) || !(YAML_SECTION in root)) {
    throw new ConfigError([{ path: file, message: `no top-level "${YAML_SECTION}:" section, expected a mapping with ${YAML_SECTION}: { brokers: [...], ... }` }]);
  }
  const section = root[YAML_SECTION];
  if (!isPlainObject(section)) {
    throw new ConfigError([{ path: file, message: `"${YAML_SECTION}:" holds ${describeValue(section, false)}, expected a mapping of Kafka settings` }]);
  }
  return section;
}
