import assert from 'node:assert/strict';
import { ConnectionManager } from '../../../src/client.js';
import { resolveConfig } from '../../../src/config/index.js';
import { Consumer } from '../../../src/consumer/consumer.js';
import type { GroupHooks } from '../../../src/consumer/group/types.js';
import type { ConsumerOptions } from '../../../src/consumer/types.js';
import { InvalidArgumentError } from '../../../src/errors/index.js';
import { ConsumerBinding } from './fake-consumer.js';

const cm = () => new ConnectionManager(resolveConfig({ brokers: ['fake:9092'] }), { binding: new ConsumerBinding() });

/** `new Consumer(cm, options)` throws an InvalidArgumentError naming the option and the value. */
function refuses(options: Record<string, unknown>, name: string, shown: string): void {
  assert.throws(
    () => new Consumer(cm(), options as ConsumerOptions),
    (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError, `an InvalidArgumentError, got ${String(e)}`);
      assert.equal(e.code, 'GCK_INVALID_ARGUMENT');
      assert.match(e.message, new RegExp(`\\b${name}\\b`), e.message);
      assert.ok(e.message.includes(`got ${shown}`), e.message);
      return true;
    },
    `${name}: ${shown}`,
  );
}

describe('Consumer options are validated once, in the constructor', () => {
  it('taskBatchSize: 0 throws naming taskBatchSize (a task of 0 messages would stop all processing)', () => {
    refuses({ taskBatchSize: 0 }, 'taskBatchSize', '0');
  });

  it('every numeric option: 0 where at least 1 is needed, negative, fractional, NaN, Infinity, not a number', () => {
    const atLeastOne = ['maxInFlightPerPartition', 'maxInFlight', 'fetchBatchSize', 'fetchWaitMs', 'taskBatchSize', 'concurrency', 'workers', 'commitIntervalMs'];
    const atLeastZero = ['maxPoolQueue', 'retryMax', 'retryBackoffMs', 'retryBackoffMaxMs', 'stopTimeoutMs', 'revokeTimeoutMs'];
    for (const name of atLeastOne) refuses({ [name]: 0 }, name, '0');
    for (const name of [...atLeastOne, ...atLeastZero]) {
      refuses({ [name]: -1 }, name, '-1');
      refuses({ [name]: 1.5 }, name, '1.5');
      refuses({ [name]: Number.NaN }, name, 'NaN');
      refuses({ [name]: Number.POSITIVE_INFINITY }, name, 'Infinity');
      refuses({ [name]: '10' }, name, '"10"');
      refuses({ [name]: null }, name, 'null');
    }
    // timers: beyond setTimeout's range a timer would fire at once
    for (const name of ['fetchWaitMs', 'retryBackoffMs', 'retryBackoffMaxMs', 'stopTimeoutMs', 'revokeTimeoutMs']) refuses({ [name]: 2 ** 31 }, name, String(2 ** 31));
    refuses({ commitIntervalMs: 86_400_001 }, 'commitIntervalMs', '86400001');
  });

  it('ordering, deadLetterTopic and the hooks are checked too', () => {
    refuses({ ordering: 'keys' }, 'ordering', '"keys"');
    refuses({ deadLetterTopic: 'dlq' }, 'deadLetterTopic', '"dlq"');
    assert.throws(() => new Consumer(cm(), {}, { onError: 'log' } as unknown as GroupHooks), /Consumer hook onError: got "log", expected a function/);
    assert.throws(() => new Consumer(cm(), null as unknown as ConsumerOptions), InvalidArgumentError);
  });

  it('groupProtocol and groupInstanceId: one of classic/consumer; an instance id the broker accepts (no whitespace)', () => {
    refuses({ groupProtocol: 'eager' }, 'groupProtocol', '"eager"');
    refuses({ groupProtocol: 1 }, 'groupProtocol', '1');
    refuses({ groupInstanceId: '' }, 'groupInstanceId', '""');
    refuses({ groupInstanceId: 'pod 1' }, 'groupInstanceId', '"pod 1"');
    refuses({ groupInstanceId: 'pod\n' }, 'groupInstanceId', '"pod\\n"');
    refuses({ groupInstanceId: 'a/b' }, 'groupInstanceId', '"a/b"');
    refuses({ groupInstanceId: 7 }, 'groupInstanceId', '7');
    assert.throws(() => new Consumer(cm(), { groupInstanceId: 'a b' } as ConsumerOptions), /groupInstanceId: got "a b" \(contains whitespace\)/);
    new Consumer(cm(), { groupProtocol: 'consumer', groupInstanceId: 'orders-1.a_b' } as ConsumerOptions);
    new Consumer(cm(), { groupProtocol: 'classic' } as ConsumerOptions);
  });

  it('a misspelt option or hook name is refused instead of silently keeping the default', () => {
    assert.throws(() => new Consumer(cm(), { maxInflight: 10 } as unknown as ConsumerOptions), (e: unknown) => e instanceof InvalidArgumentError && /Consumer option maxInflight: unknown option; the options are .*maxInFlight\b/.test(e.message));
    assert.throws(() => new Consumer(cm(), {}, { onErorr: () => undefined } as unknown as GroupHooks), (e: unknown) => e instanceof InvalidArgumentError && /Consumer hook onErorr: unknown hook; the hooks are onError, /.test(e.message));
  });

  it('accepts good values, the boundaries and no options at all', () => {
    new Consumer(cm());
    new Consumer(cm(), {
      ordering: 'unordered',
      maxInFlightPerPartition: 1,
      maxInFlight: 1,
      fetchBatchSize: 1,
      fetchWaitMs: 1,
      taskBatchSize: 1,
      concurrency: 1,
      workers: 1,
      maxPoolQueue: 0,
      retryMax: 0,
      retryBackoffMs: 0,
      retryBackoffMaxMs: 0,
      stopTimeoutMs: 0,
      revokeTimeoutMs: 0,
      commitIntervalMs: 86_400_000,
      deadLetterTopic: (t) => `${t}.dead`,
    });
  });
});
