import type { Producer } from 'kafkajs';
import type { SourcedReading } from '../device-state';
import { type Aggregate, aggregateKey, type AnomalyEvent, type DeviceEvent } from '../events';
import { deadLetterHeaders } from '../ingest/dead-letters';
import { workerMetrics } from '../metrics';

type PublishTopics = { anomalies: string; deviceEvents: string; aggregates: string; dlq: string };

/** Readings a device refused as too late, with what they were judged against. */
export interface LateReadings {
  late: SourcedReading[];
  watermark: number;
  allowedLatenessMs: number;
}

/** Everything one batch of a device has to say, published in one request. */
export interface Publication {
  anomalies: AnomalyEvent[];
  aggregates: Aggregate[];
  deviceEvents: DeviceEvent[];
  late?: LateReadings;
}

/** Publishes events keyed by device; the event id in a header lets consumers de-duplicate retries. */
export function createPublishActivities(producer: Producer, topics: PublishTopics) {
  const eventMessages = (events: Array<AnomalyEvent | DeviceEvent>) =>
    events.map((event) => ({ key: event.deviceId, value: JSON.stringify(event), headers: { 'vigil.event-id': event.eventId } }));
  const aggregateMessages = (aggregates: Aggregate[]) => aggregates.map((aggregate) => ({ key: aggregateKey(aggregate), value: JSON.stringify(aggregate) }));
  const lateMessages = ({ late, watermark, allowedLatenessMs }: LateReadings) =>
    late.map(({ source, reading }) => ({
      key: reading.deviceId,
      value: JSON.stringify(reading),
      headers: {
        ...deadLetterHeaders('late', `event time ${new Date(reading.ts).toISOString()} is more than ${allowedLatenessMs} ms behind the device's newest reading (${new Date(watermark).toISOString()})`, source),
        'vigil.dlq.value': 'canonical-reading',
      },
    }));
  /** One produce request for all of it, then the counters. */
  const publish = async ({ anomalies, aggregates, deviceEvents, late }: Publication): Promise<void> => {
    const topicMessages = [
      { topic: topics.anomalies, messages: eventMessages(anomalies) },
      { topic: topics.aggregates, messages: aggregateMessages(aggregates) },
      { topic: topics.deviceEvents, messages: eventMessages(deviceEvents) },
      { topic: topics.dlq, messages: late ? lateMessages(late) : [] },
    ].filter((t) => t.messages.length > 0);
    if (topicMessages.length > 0) await producer.sendBatch({ acks: -1, topicMessages });
    for (const a of anomalies) workerMetrics.anomalies.inc({ detector: a.detector, status: a.status });
    for (const a of aggregates) workerMetrics.aggregates.inc({ kind: a.kind, final: String(a.final) });
    for (const e of deviceEvents) workerMetrics.deviceEvents.inc({ type: e.type });
    if (late) workerMetrics.lateReadings.inc(late.late.length);
  };
  const nothing: Publication = { anomalies: [], aggregates: [], deviceEvents: [] };
  return {
    /** A batch's anomalies, window results, connection events and late readings, in one produce request. */
    publishBatch: publish,
    // The per-kind activities below serve runs recorded before batched publication (and
    // connection checks, which publish device events alone).
    publishAnomalies: (anomalies: AnomalyEvent[]) => publish({ ...nothing, anomalies }),
    publishDeviceEvents: (deviceEvents: DeviceEvent[]) => publish({ ...nothing, deviceEvents }),
    /** Window results, keyed for compaction: the topic keeps each window's latest version. */
    publishAggregates: (aggregates: Aggregate[]) => publish({ ...nothing, aggregates }),
    /**
     * Readings the device refused as too late, to the DLQ with reason `late`. The original bytes
     * stay in the input topic at the offset named in the headers; the value is the reading as read.
     */
    deadLetterLateReadings: (late: LateReadings) => publish({ ...nothing, late }),
  };
}
