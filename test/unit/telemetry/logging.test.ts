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

  it("messageTraceFields falls back to the Go services' trace_id / span_id headers; a valid traceparent wins; invalid Go ids give nothing", () => {
    const go = { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' };
    assert.deepEqual(messageTraceFields([{ trace_id: go.trace_id }, { span_id: Buffer.from(go.span_id) }]), go);
    assert.deepEqual(messageTraceFields([{ traceparent: 'garbage' }, { trace_id: go.trace_id }, { span_id: go.span_id }]), go, 'a malformed traceparent is ignored');
    assert.deepEqual(messageTraceFields([{ trace_id: go.trace_id }, { span_id: go.span_id }, { traceparent: `00-${SC.traceId}-${SC.spanId}-01` }]), { trace_id: SC.traceId, span_id: SC.spanId });
    assert.deepEqual(messageTraceFields([{ trace_id: '0'.repeat(32) }, { span_id: go.span_id }]), {});
    assert.deepEqual(messageTraceFields([{ trace_id: go.trace_id }, { span_id: 'not-hex-at-all!!' }]), {});
  });
});
