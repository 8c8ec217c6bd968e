import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { type Config, inputFormatsOf } from '../config';
import { createKafka } from '../kafka/client';
import { runConsumer } from '../kafka/consumer';
import { HistoryProgress } from './history';
import type { BoardModel } from './model';
import { type BoardTopics, foldMessage } from './records';

export interface Feed {
  /** Whether the history of the topics read from the beginning has been read. */
  progress: HistoryProgress;
  close(): Promise<void>;
}

/**
 * Feeds the model from Kafka (records.ts reads each message). `anomalies`, `device-events`
 * and the compacted `aggregates` are read from the beginning, so a board started late has their
 * history; the input topics (the series) and `readings.enriched` from now on, or also from the
 * beginning with `fromBeginning`. A throw-away consumer group never moves the ingest's offsets.
 */
export async function startFeed(config: Config, model: BoardModel, options: { fromBeginning?: boolean }): Promise<Feed> {
  const kafka = createKafka(config, 'board');
  const { topics } = config.kafka;
  const formatOf = inputFormatsOf(config);
  const history = [topics.anomalies, topics.deviceEvents, topics.aggregates];
  const progress = new HistoryProgress();
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of history) {
      for (const p of await admin.fetchTopicOffsets(topic)) progress.expect(topic, p.partition, Number(p.low), Number(p.high));
    }
  } finally {
    await admin.disconnect();
  }

  const consumer: Consumer = kafka.consumer({ groupId: `vigil-board-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const subscriptions = [
    { topics: history, fromBeginning: true },
    { topics: [...formatOf.keys(), topics.enriched], fromBeginning: options.fromBeginning ?? false },
  ];
  const read: BoardTopics = { ...topics, inputs: formatOf, maxMessageBytes: config.ingest.maxMessageBytes };
  await runConsumer(consumer, subscriptions, {
    eachMessage: async ({ topic, partition, message }) => {
      foldMessage(model, read, { topic, key: message.key, value: message.value, timestamp: Number(message.timestamp) });
      progress.saw(topic, partition, Number(message.offset));
    },
  }, 'board');
  return { progress, close: () => consumer.disconnect() };
}
