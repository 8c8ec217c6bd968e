import type { EachBatchPayload, KafkaMessage } from 'kafkajs';

/** A message as a test writes it: key, value, and the Kafka timestamp (epoch ms, as text). */
export interface TestMessage {
  key: string | null;
  value: string;
  timestamp?: string;
}

/**
 * One batch of partition 0 as kafkajs hands it to `eachBatch`, its offsets from `firstOffset`:
 * for driving the ingest's batch handling without a broker (its consumer is a stand-in too).
 */
export function fetchedBatch(topic: string, messages: TestMessage[], firstOffset = 0): EachBatchPayload {
  const fetched = messages.map(({ key, value, timestamp = '0' }, i) => ({
    key: key === null ? null : Buffer.from(key),
    value: Buffer.from(value),
    offset: String(firstOffset + i),
    timestamp,
    headers: {},
  })) as unknown as KafkaMessage[];
  return {
    batch: { topic, partition: 0, messages: fetched, offsetLag: () => '0' },
    resolveOffset: () => undefined,
    heartbeat: async () => undefined,
    isRunning: () => true,
    isStale: () => false,
  } as unknown as EachBatchPayload;
}
