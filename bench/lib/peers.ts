/**
 * Peer clients shared by the consumer/producer peer scenarios: KafkaJS, @platformatic/kafka 1.x and
 * Apache Kafka's Java perf tools (org.apache.kafka.tools.*Performance, run with the stack's
 * kafka-tools classpath from scripts/stack-lib.mjs kafkaToolCommand()).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { benchBrokers } from './kafka.js';
import { packageVersion } from './versions.js';
import type { BenchContext } from './types.js';

const require = createRequire(import.meta.url);

export function kafkajs(ctx: BenchContext): typeof import('kafkajs') {
  ctx.notePeerVersion('kafkajs', packageVersion('kafkajs'));
  return require('kafkajs') as typeof import('kafkajs');
}

export async function platformatic(ctx: BenchContext): Promise<typeof import('@platformatic/kafka')> {
  ctx.notePeerVersion('@platformatic/kafka', packageVersion('@platformatic/kafka'));
  return (await import('@platformatic/kafka')) as typeof import('@platformatic/kafka');
}

export function brokerList(): string[] {
  return benchBrokers().split(',').map((b) => b.trim()).filter(Boolean);
}

/** Runs a Kafka tool class to completion; resolves with its stdout (rejects on a non-zero exit). */
export async function runKafkaTool(ctx: BenchContext, mainClass: string, args: string[], timeoutMs = 600_000): Promise<string> {
  return (await runKafkaToolOutput(ctx, mainClass, args, timeoutMs)).stdout;
}

/** Like runKafkaTool, also with the tool's stderr (where e.g. ProducerPerformance prints send errors). */
export async function runKafkaToolOutput(ctx: BenchContext, mainClass: string, args: string[], timeoutMs = 600_000): Promise<{ stdout: string; stderr: string }> {
  // @ts-expect-error plain ESM script without types
  const lib = (await import('../../scripts/stack-lib.mjs')) as { kafkaToolCommand(main: string, args: string[]): { command: string; args: string[] } };
  const { command, args: full } = lib.kafkaToolCommand(mainClass, args);
  ctx.notePeerVersion('kafka-tools (java)', process.env.GOCOFFEE_KAFKA_VERSION ?? '4.4.0 (stack classpath)');
  return new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(command, full, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout: out, stderr: err });
      else reject(new Error(`${mainClass} exited with ${code}: ${err.slice(-2000)}`));
    });
  });
}
