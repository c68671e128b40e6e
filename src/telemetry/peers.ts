import { createRequire } from 'node:module';
import { GoCoffeeKafkaError } from '../errors/base.js';

/**
 * The telemetry adapters' libraries are optional peer dependencies (package.json
 * peerDependenciesMeta): the core never loads them, and an adapter loads its library only when it
 * is used — a prom-client registry or a pino logger passed in, or tracing with
 * @opentelemetry/api installed. Loaded with require (all three ship CommonJS), once.
 */
const load = createRequire(import.meta.url);

type OtelApi = typeof import('@opentelemetry/api');
type PromClient = typeof import('prom-client');
type Pino = typeof import('pino');

let otel: OtelApi | null | undefined;
let prom: PromClient | undefined;
let pinoModule: Pino | null | undefined;

function missing(e: unknown): boolean {
  return (e as { code?: unknown }).code === 'MODULE_NOT_FOUND';
}

/** @opentelemetry/api, or undefined when it is not installed (then nothing can be traced). */
export function otelApi(): OtelApi | undefined {
  if (otel === undefined) {
    try {
      otel = load('@opentelemetry/api') as OtelApi;
    } catch (e) {
      if (!missing(e)) throw e;
      otel = null;
    }
  }
  return otel ?? undefined;
}

/** prom-client; a clear error when metrics are asked for without it installed. */
export function promClient(): PromClient {
  if (prom === undefined) {
    try {
      prom = load('prom-client') as PromClient;
    } catch (e) {
      if (!missing(e)) throw e;
      throw new GoCoffeeKafkaError('GCK_CONFIG', 'metrics need the prom-client package: npm install prom-client (an optional peer dependency of @gocoffee/kafka)', { cause: e });
    }
  }
  return prom;
}

/** pino, or undefined when it is not installed (a logger passed in is used as it is). */
export function pinoLib(): Pino | undefined {
  if (pinoModule === undefined) {
    try {
      pinoModule = load('pino') as Pino;
    } catch (e) {
      if (!missing(e)) throw e;
      pinoModule = null;
    }
  }
  return pinoModule ?? undefined;
}
