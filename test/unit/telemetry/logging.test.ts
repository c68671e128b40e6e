import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { pino } from 'pino';
import { AlsContextManager } from '../../../src/telemetry/context-manager.js';
import { messageTraceFields, traceAwareChild } from '../../../src/telemetry/logging.js';

function sink(): { stream: Writable; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { stream, lines };
}

const SC = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };

describe('logging (unit)', () => {
  before(() => context.setGlobalContextManager(new AlsContextManager()));
  after(() => context.disable());

  it("traceAwareChild adds trace_id/span_id only while a span is active, after the user's own log formatter", () => {
    const { stream, lines } = sink();
    const root = pino({ formatters: { log: (o) => ({ ...o, app: 'barista' }) } }, stream);
    const log = traceAwareChild(root, { lib: 'x' }).child({ component: 'c' });
    log.info('outside');
    context.with(trace.setSpanContext(ROOT_CONTEXT, SC), () => {
      log.info('inside');
      log.info({ trace_id: 'explicit' }, 'explicit wins');
    });
    assert.deepEqual(lines.map((l) => [l.msg, l.app, l.trace_id, l.span_id, l.component]), [
      ['outside', 'barista', undefined, undefined, 'c'],
      ['inside', 'barista', SC.traceId, SC.spanId, 'c'],
      ['explicit wins', 'barista', 'explicit', SC.spanId, 'c'],
    ]);
  });

  it("messageTraceFields reads a message's traceparent header (string or Buffer); nothing for none or a malformed one", () => {
    const tp = `00-${SC.traceId}-${SC.spanId}-01`;
    assert.deepEqual(messageTraceFields([{ a: 'b' }, { traceparent: Buffer.from(tp) }]), { trace_id: SC.traceId, span_id: SC.spanId });
    assert.deepEqual(messageTraceFields([{ traceparent: tp }]), { trace_id: SC.traceId, span_id: SC.spanId });
    const older = `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`;
    assert.deepEqual(messageTraceFields([{ traceparent: older }, { traceparent: tp }]), { trace_id: SC.traceId, span_id: SC.spanId }, 'the last one, as Tracing.extract');
    assert.deepEqual(messageTraceFields(undefined), {});
    assert.deepEqual(messageTraceFields([{ traceparent: 'garbage' }]), {});
    assert.deepEqual(messageTraceFields([{ traceparent: `00-${'0'.repeat(32)}-${SC.spanId}-01` }]), {});
  });
});
