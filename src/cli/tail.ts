import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import { checkConnections } from '../connections/check';
import { anomaliesContract, type AnomalyEvent } from '../contracts/anomalies';
import { detectorNamed } from '../detectors/registry';
import { createKafka } from '../kafka/client';
import { runConsumer } from '../kafka/consumer';

/** One line per anomaly step, the explanation in the detector's words. */
export function formatAnomaly(a: AnomalyEvent): string {
  const why = detectorNamed(a.detector).explain(a.explanation);
  return `${a.status.padEnd(8)} ${a.detector} ${a.deviceId} ${a.field}=${a.value} at ${new Date(a.ts).toISOString()} (${why}) from ${a.source.topic}/${a.source.partition}@${a.source.offset}`;
}

/**
 * Follows the anomalies topic with a throw-away consumer group; resolves once the group has
 * joined, so nothing published afterwards is missed.
 */
export async function tailAnomalies(
  config: Config,
  onAnomaly: (anomaly: AnomalyEvent) => void,
  options: { fromBeginning?: boolean } = {},
): Promise<{ stop: () => Promise<void> }> {
  await checkConnections(config, ['kafka']);
  const consumer = createKafka(config, 'tail').consumer({ groupId: `vigil-tail-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await runConsumer(consumer, [{ topics: [config.kafka.topics.anomalies], fromBeginning: options.fromBeginning ?? false }], {
    eachMessage: async ({ partition, message }) => {
      let anomaly: AnomalyEvent;
      try {
        anomaly = anomaliesContract.decode(message.value);
      } catch (error) {
        process.stderr.write(`skipped a message that is not an anomaly event (partition ${partition}, offset ${message.offset}): ${(error as Error).message}\n`);
        return;
      }
      onAnomaly(anomaly);
    },
  }, 'tail');
  await joined;
  return { stop: () => consumer.disconnect() };
}
