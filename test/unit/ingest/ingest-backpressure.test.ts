import type { EachBatchPayload, Kafka } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../src/config';
import { type Deliver, Ingest } from '../../../src/ingest/ingest';
import { fetchedBatch } from '../../support/fetched-batch';
import { logger } from '../../../src/logger';

/**
 * kafkajs between a consumer crash (a broker restart) and its own restart: the consumer has no
 * group, and `resume` throws. What the ingest does with it must not take the process down.
 */
function crashedConsumer() {
  const consumer = {
    hasGroup: true,
    pause: vi.fn(),
    resume: vi.fn(() => {
      if (!consumer.hasGroup) throw new Error('Consumer group was not initialized, consumer#run must be called first');
    }),
    commitOffsets: vi.fn(async () => undefined),
  };
  return consumer;
}

function ingestWith(consumer: ReturnType<typeof crashedConsumer>) {
  const config = loadConfig({ VIGIL_MAX_BUFFERED_PER_PARTITION: '4', VIGIL_TOPIC_PREFIX: 'unit.' });
  const acknowledge: Array<() => void> = [];
  // Temporal's acknowledgement: delivery (signalWithStart) resolves.
  const deliver: Deliver = () => new Promise((resolve) => acknowledge.push(() => resolve()));
  const kafka = { consumer: () => consumer, producer: () => ({}) } as unknown as Kafka;
  const ingest = new Ingest(config, kafka, deliver, { apply: async () => undefined });
  const internals = ingest as unknown as { running: boolean; onBatch(payload: EachBatchPayload): Promise<void>; committer: { commit(): Promise<void> } };
  internals.running = true;
  return { config, ingest: internals, acknowledge };
}

/** One fetched batch of `count` sensor readings, one per device, so their signals go out together. */
function batchOf(topic: string, count: number): EachBatchPayload {
  return fetchedBatch(
    topic,
    Array.from({ length: count }, (_, offset) => {
      const id = `device-${offset}`;
      return { key: id, value: JSON.stringify({ id, ts: 1_790_000_000_000, temp: 20, hum: 40 }) };
    }),
  );
}

describe('ingest backpressure while the Kafka consumer restarts', () => {
  const level = logger.level;
  afterEach(() => {
    logger.level = level;
  });

  it('keeps committing, and resumes the paused partition once the consumer has its group again', async () => {
    logger.level = 'silent';
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const consumer = crashedConsumer();
      const { config, ingest, acknowledge } = ingestWith(consumer);
      const topic = config.kafka.inputs.find((input) => input.format === 'sensor')?.topic ?? 'missing';

      await ingest.onBatch(batchOf(topic, 6));
      expect(consumer.pause, 'more than 4 unacknowledged messages pause the partition').toHaveBeenCalledWith([{ topic, partitions: [0] }]);

      consumer.hasGroup = false;
      await vi.waitFor(() => expect(acknowledge.length).toBeGreaterThan(0));
      while (acknowledge.length > 0) acknowledge.shift()?.();
      await vi.waitFor(() => expect(consumer.commitOffsets, 'offsets committed while the consumer restarts').toHaveBeenCalled());
      expect(consumer.resume, 'a resume was tried, and kafkajs refused it').toHaveBeenCalledTimes(1);
      await vi.waitFor(() => expect(consumer.commitOffsets.mock.calls.flat(2)).toContainEqual({ topic, partition: 0, offset: '6' }), 5000);

      consumer.hasGroup = true;
      await ingest.committer.commit();
      expect(consumer.resume, 'resumed at the next commit').toHaveBeenCalledTimes(2);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled, 'no unhandled rejection, which would end the process').toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
