import { randomUUID } from 'node:crypto';
import type { Config } from './config';
import { type AnomalyEvent, anomalyEventSchema } from './events';
import { createKafka } from './kafka/client';

export function formatAnomaly(a: AnomalyEvent): string {
  const e = a.explanation;
  const why =
    e.kind === 'zscore'
      ? `mean ${e.mean.toFixed(2)}, stdev ${e.stdev.toFixed(2)}, z ${e.z === null ? '∞' : e.z.toFixed(1)}, k ${e.k}`
      : e.kind === 'threshold'
        ? `threshold ${e.low ?? '−∞'} … ${e.high ?? '∞'}, ${e.rule}${e.rule === 'each' ? '' : `: ${e.violationsInWindow} in window, ${e.consecutive} in a row`}`
        : e.kind === 'seasonal-iforest'
          ? `isolation score ${e.score.toFixed(3)} against ${e.comparables} readings of ${e.slot} (${e.comparablesMin} … ${e.comparablesMax})`
          : `HTM score ${e.score.toFixed(3)} ≥ ${e.threshold} (likelihood ${e.likelihood.toFixed(5)}, raw ${e.rawScore?.toFixed(2) ?? '—'}${e.spatialAnomaly ? ', outside the range seen' : ''})`;
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
  const consumer = createKafka(config, 'tail').consumer({ groupId: `vigil-tail-${randomUUID()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [config.kafka.topics.anomalies], fromBeginning: options.fromBeginning ?? false });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      let parsed;
      try {
        parsed = anomalyEventSchema.safeParse(JSON.parse(message.value?.toString('utf8') ?? 'null'));
      } catch {
        parsed = undefined;
      }
      if (parsed?.success) onAnomaly(parsed.data);
      else process.stderr.write(`skipped a message that is not an anomaly event (partition ${partition}, offset ${message.offset})\n`);
    },
  });
  await joined;
  return { stop: () => consumer.disconnect() };
}
