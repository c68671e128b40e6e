/**
 * `${VAR}` / `${VAR:-default}` placeholder expansion in YAML string values.
 *
 * - `${VAR}`: the variable's value; unset → an error naming the field path and the variable.
 * - `${VAR:-default}`: the variable's value, or `default` when it is unset or empty.
 * - `$${` is a literal `${`.
 * Messages never quote the text around a placeholder (it may be part of a secret).
 */
import type { ConfigIssue } from './errors.js';

type Env = Readonly<Record<string, string | undefined>>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Expands one string; returns the problems (without any value) when it cannot. */
export function expandString(text: string, env: Env): { value: string } | { problems: string[] } {
  if (!text.includes('$')) return { value: text };
  const problems: string[] = [];
  let out = '';
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('$', i);
    if (start < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, start);
    if (text.startsWith('$${', start)) {
      out += '${';
      i = start + 3;
      continue;
    }
    if (text[start + 1] !== '{') {
      out += '$';
      i = start + 1;
      continue;
    }
    const end = text.indexOf('}', start + 2);
    if (end < 0) {
      problems.push('unterminated ${ placeholder (write $${ for a literal ${)');
      break;
    }
    const body = text.slice(start + 2, end);
    const sep = body.indexOf(':-');
    const name = sep < 0 ? body : body.slice(0, sep);
    if (!NAME.test(name)) {
      problems.push('invalid variable name in a ${...} placeholder (expected ${NAME} or ${NAME:-default})');
    } else {
      const value = env[name];
      if (sep >= 0) {
        out += value === undefined || value === '' ? body.slice(sep + 2) : value;
      } else if (value === undefined) {
        problems.push(
          `environment variable ${name} is not set and the placeholder \${${name}} has no default ` +
            `(set ${name}, or write \${${name}:-default})`,
        );
      } else {
        out += value;
      }
    }
    i = end + 1;
  }
  return problems.length > 0 ? { problems } : { value: out };
}

/** How child paths are written: `kafka.topics.task_created` or `kafka.librdkafka["linger.ms"]`. */
export type KeyStyle = 'dot' | 'bracket';

export function childPath(parent: string, key: string | number, style: KeyStyle): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return style === 'dot' ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/**
 * Expands every string inside `value` (arrays and plain objects are walked). Problems are added to
 * `issues` under the path of the string that holds them; `failed` tells whether any was found.
 */
export function expandDeep(
  value: unknown,
  path: string,
  env: Env,
  issues: ConfigIssue[],
  style: KeyStyle = 'dot',
): { value: unknown; failed: boolean } {
  if (typeof value === 'string') {
    const result = expandString(value, env);
    if ('value' in result) return { value: result.value, failed: false };
    for (const message of result.problems) issues.push({ path, message });
    return { value, failed: true };
  }
  if (Array.isArray(value)) {
    let failed = false;
    const out = value.map((item, index) => {
      const r = expandDeep(item, childPath(path, index, style), env, issues, style);
      failed ||= r.failed;
      return r.value;
    });
    return { value: out, failed };
  }
  if (isPlainObject(value)) {
    let failed = false;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const r = expandDeep(item, childPath(path, key, style), env, issues, style);
      failed ||= r.failed;
      out[key] = r.value;
    }
    return { value: out, failed };
  }
  return { value, failed: false };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
