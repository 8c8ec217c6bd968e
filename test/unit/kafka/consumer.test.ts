import { EventEmitter } from 'node:events';
import type { Consumer } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runConsumer } from '../../../src/kafka/consumer';
import { logger } from '../../../src/logger';

/** A consumer as kafkajs shows it: CRASH events, and connect/subscribe/run that may fail. */
function fakeConsumer() {
  const emitter = new EventEmitter();
  const calls: string[] = [];
  let failStarts = 0;
  const consumer = {
    events: { CRASH: 'consumer.crash' },
    on: (event: string, listener: (e: unknown) => void) => emitter.on(event, listener),
    connect: async () => {
      calls.push('connect');
      if (failStarts > 0) {
        failStarts -= 1;
        throw new Error('broker not back yet');
      }
    },
    subscribe: async ({ topics }: { topics: string[] }) => void calls.push(`subscribe ${topics.join(',')}`),
    run: async () => void calls.push('run'),
  };
  return {
    consumer: consumer as unknown as Consumer,
    calls,
    crash: (restart: boolean) => emitter.emit('consumer.crash', { payload: { error: new Error('Failed to find group coordinator'), restart } }),
    failNextStarts: (n: number) => (failStarts = n),
  };
}

describe('runConsumer', () => {
  const level = logger.level;
  afterEach(() => {
    logger.level = level;
    vi.useRealTimers();
  });

  it('starts a consumer that kafkajs leaves stopped after a crash, retrying until the broker answers', async () => {
    logger.level = 'silent';
    vi.useFakeTimers();
    const fake = fakeConsumer();
    await runConsumer(fake.consumer, [{ topics: ['a', 'b'] }], { eachMessage: async () => undefined }, 'test');
    expect(fake.calls).toEqual(['connect', 'subscribe a,b', 'run']);

    fake.crash(true); // kafkajs restarts this one itself
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fake.calls).toHaveLength(3);

    fake.failNextStarts(2);
    fake.crash(false);
    await vi.advanceTimersByTimeAsync(500); // first try: refused
    await vi.advanceTimersByTimeAsync(1000); // second: refused
    await vi.advanceTimersByTimeAsync(2000); // third: running again
    expect(fake.calls).toEqual(['connect', 'subscribe a,b', 'run', 'connect', 'connect', 'connect', 'subscribe a,b', 'run']);
  });
});
