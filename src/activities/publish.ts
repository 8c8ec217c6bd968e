import type { Producer } from 'kafkajs';
import { type Aggregate, aggregatesContract } from '../contracts/aggregates';
import { anomaliesContract, type AnomalyEvent } from '../contracts/anomalies';
import { lateReadingRecord } from '../contracts/dead-letters';
import { type DeviceEvent, deviceEventsContract } from '../contracts/device-events';
import { dropInAnomalyMessages, type DropInSettings } from '../drop-in';
import { workerMetrics } from '../metrics';
import type { SourcedReading } from '../reading';

/** Readings a device refused as too late, with what they were judged against. */
export interface LateReadings {
  late: SourcedReading[];
  watermark: number;
  allowedLatenessMs: number;
}

/** What one `publishBatch` activity sends, in one Kafka produce request (chunked by the workflow: workflows/publication.ts). */
export interface Publication {
  anomalies: AnomalyEvent[];
  aggregates: Aggregate[];
  deviceEvents: DeviceEvent[];
  late?: LateReadings;
}

type PublishTopics = { anomalies: string; deviceEvents: string; aggregates: string; dlq: string };

/**
 * Publishes a device's outputs through each topic's contract, keyed by device (aggregates by
 * window), and the drop-in records of its anomalies (the sensor format's `{id, ts, temp}`, …).
 */
export function createPublishActivities(producer: Producer, topics: PublishTopics, dropIn: DropInSettings) {
  return {
    /**
     * A batch's anomalies (with their drop-in records), window results, connection events and
     * late readings, in one produce request, then the counters. Late readings go to the DLQ with reason `late`: the original
     * bytes stay in the input topic at the offset named in the headers; the value is the reading as read.
     */
    async publishBatch({ anomalies, aggregates, deviceEvents, late }: Publication): Promise<void> {
      const topicMessages = [
        { topic: topics.anomalies, messages: anomalies.map((record) => anomaliesContract.encode(record)) },
        { topic: topics.aggregates, messages: aggregates.map((record) => aggregatesContract.encode(record)) },
        { topic: topics.deviceEvents, messages: deviceEvents.map((record) => deviceEventsContract.encode(record)) },
        { topic: topics.dlq, messages: (late?.late ?? []).map(({ reading, source }) => lateReadingRecord(reading, source, late!.watermark, late!.allowedLatenessMs)) },
        ...dropInAnomalyMessages(anomalies, dropIn),
      ].filter((t) => t.messages.length > 0);
      if (topicMessages.length > 0) await producer.sendBatch({ acks: -1, topicMessages });
      for (const a of anomalies) workerMetrics.anomalies.inc({ detector: a.detector, status: a.status });
      for (const a of aggregates) workerMetrics.aggregates.inc({ kind: a.kind, final: String(a.final) });
      for (const e of deviceEvents) workerMetrics.deviceEvents.inc({ type: e.type });
      if (late) workerMetrics.lateReadings.inc(late.late.length);
    },
  };
}
