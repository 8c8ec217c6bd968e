import type { Kafka } from 'kafkajs';
import type { Config } from '../config';

/**
 * Input topics take messages far above the ingest's own limit (`VIGIL_MAX_MESSAGE_BYTES`), so an
 * oversized message reaches the ingest and is dead-lettered as `oversized`, where it can be seen,
 * instead of failing at the producer. Kafka's default is 1 MB.
 */
export const INPUT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

export function topicSpecs(config: Config) {
  const { topics, readingsPartitions, epaPartitions, inputs } = config.kafka;
  const { outputs, topics: dropIn } = config.dropIn;
  // The drop-in topics, each for the outputs that are on, with one partition as their users made them.
  const dropInTopics = [
    ...(outputs.includes('sensor') ? [dropIn.sensorAnomalies, dropIn.sensorAnomalyWindows] : []),
    ...(outputs.includes('usage') ? [dropIn.meterAnomalies] : []),
    ...(outputs.includes('epa') ? [dropIn.monitoringRecords] : []),
  ];
  const inputTopics = new Set([topics.readings, ...inputs.map((input) => input.topic)]);
  const inputConfig = [{ name: 'max.message.bytes', value: String(INPUT_MAX_MESSAGE_BYTES) }];
  return [
    // The EPA input as the air-quality pipeline made it (`monitoring20`, 10 partitions); the others as configured.
    ...[...inputTopics].map((topic) => ({ topic, numPartitions: inputs.some((i) => i.topic === topic && i.format === 'epa') ? epaPartitions : readingsPartitions, configEntries: inputConfig })),
    { topic: topics.dlq, numPartitions: 1 },
    { topic: topics.anomalies, numPartitions: 4 },
    { topic: topics.enriched, numPartitions: 4 },
    { topic: topics.deviceEvents, numPartitions: 1 },
    { topic: topics.aggregates, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    { topic: topics.control, numPartitions: 1 },
    ...(topics.model ? [{ topic: topics.model, numPartitions: 1 }] : []),
    ...dropInTopics.map((topic) => ({ topic, numPartitions: 1 })),
  ];
}

/**
 * Creates Vigil's topics that do not exist yet and waits until every partition has a leader;
 * safe to call on every start.
 */
export async function ensureTopics(kafka: Kafka, config: Config, timeoutMs = 60_000): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topicSpecs(config).filter((spec) => !existing.has(spec.topic));
    if (missing.length > 0) {
      await admin.createTopics({ topics: missing.map((spec) => ({ replicationFactor: -1, ...spec })), waitForLeaders: false });
      // kafkajs's own wait gives up on the "unknown topic-partition" answers a broker can give
      // for a moment after creating a topic, so the wait is ours.
      const topics = missing.map((spec) => spec.topic);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const ready = await admin
          .fetchTopicMetadata({ topics })
          .then(({ topics: metadata }) => metadata.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
          .catch(() => false);
        if (ready) break;
        if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leaders after ${timeoutMs / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    return missing.map((spec) => spec.topic);
  } finally {
    await admin.disconnect();
  }
}
