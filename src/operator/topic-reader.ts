import { randomUUID } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import type { Config } from '../config';
import { checkConnections } from '../connections/check';
import { createKafka } from '../kafka/client';
import { runConsumer } from '../kafka/consumer';

export interface TopicReading {
  /** Resolves once every partition has been read to the end it had when reading began (never, when following). */
  caughtUp: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Reads a topic as a new consumer of it would, and commits nothing: from the beginning, or from
 * the first message written at or after `from` (Kafka's timestamps), to the end each partition
 * had when reading began, or on (`follow`). A throw-away group that never commits, so it moves no
 * one's offsets and the next run reads the same again.
 */
export async function readTopic(
  config: Config,
  topic: string,
  options: { from?: number; follow: boolean },
  onMessage: (message: KafkaMessage, partition: number) => void,
): Promise<TopicReading> {
  await checkConnections(config, ['kafka']);
  const kafka = createKafka(config, 'listing');
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  let starts: Map<number, bigint>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic).catch((error: Error) => {
      throw new Error(`cannot read topic ${topic}: ${error.message}`);
    });
    ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    starts = new Map(offsets.map((o) => [o.partition, BigInt(o.low)]));
    if (options.from !== undefined) {
      // A partition with nothing written since `from` answers -1: it starts at its end.
      for (const { partition, offset } of await admin.fetchTopicOffsetsByTimestamp(topic, options.from)) {
        starts.set(partition, BigInt(offset) < 0n ? (ends.get(partition) ?? 0n) : BigInt(offset));
      }
    }
  } finally {
    await admin.disconnect();
  }
  const pending = new Set([...ends].filter(([partition, end]) => (starts.get(partition) ?? 0n) < end).map(([partition]) => partition));
  let reachedEnds!: () => void;
  const caughtUp = new Promise<void>((resolve) => (reachedEnds = resolve));
  if (pending.size === 0) reachedEnds();
  if (pending.size === 0 && !options.follow) return { caughtUp, stop: async () => {} };

  const consumer = kafka.consumer({ groupId: `vigil-listing-${randomUUID()}`, maxWaitTimeInMs: 200 });
  await runConsumer(consumer, [{ topics: [topic], fromBeginning: true }], {
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const offset = BigInt(message.offset);
      // Before the seek below takes effect, a fetch may still start from the beginning.
      if (offset < (starts.get(partition) ?? 0n)) return;
      onMessage(message, partition);
      if (pending.has(partition) && offset + 1n >= (ends.get(partition) ?? 0n)) {
        pending.delete(partition);
        if (pending.size === 0) reachedEnds();
      }
    },
  }, 'listing');
  if (options.from !== undefined) for (const [partition, offset] of starts) consumer.seek({ topic, partition, offset: offset.toString() });
  return { caughtUp, stop: () => consumer.disconnect() };
}
