import type { Producer } from 'kafkajs';
import type { SourcedReading } from '../device-state';
import { type Aggregate, aggregateKey, type AnomalyEvent, type DeviceEvent } from '../events';
import { deadLetterHeaders } from '../ingest/dead-letters';
import { workerMetrics } from '../metrics';

type PublishTopics = { anomalies: string; deviceEvents: string; aggregates: string; dlq: string };

/** Publishes events keyed by device; the event id in a header lets consumers de-duplicate retries. */
export function createPublishActivities(producer: Producer, topics: PublishTopics) {
  const publish = (topic: string, events: Array<AnomalyEvent | DeviceEvent>) =>
    producer.send({
      topic,
      acks: -1,
      messages: events.map((event) => ({ key: event.deviceId, value: JSON.stringify(event), headers: { 'vigil.event-id': event.eventId } })),
    });
  return {
    async publishAnomalies(anomalies: AnomalyEvent[]): Promise<void> {
      await publish(topics.anomalies, anomalies);
      for (const a of anomalies) workerMetrics.anomalies.inc({ detector: a.detector, status: a.status });
    },
    async publishDeviceEvents(events: DeviceEvent[]): Promise<void> {
      await publish(topics.deviceEvents, events);
      for (const e of events) workerMetrics.deviceEvents.inc({ type: e.type });
    },
    /** Window results, keyed for compaction: the topic keeps each window's latest version. */
    async publishAggregates(aggregates: Aggregate[]): Promise<void> {
      await producer.send({
        topic: topics.aggregates,
        acks: -1,
        messages: aggregates.map((aggregate) => ({ key: aggregateKey(aggregate), value: JSON.stringify(aggregate) })),
      });
      for (const a of aggregates) workerMetrics.aggregates.inc({ kind: a.kind, final: String(a.final) });
    },
    /**
     * Readings the device refused as too late, to the DLQ with reason `late`. The original bytes
     * stay in the input topic at the offset named in the headers; the value is the reading as read.
     */
    async deadLetterLateReadings({ late, watermark, allowedLatenessMs }: { late: SourcedReading[]; watermark: number; allowedLatenessMs: number }): Promise<void> {
      await producer.send({
        topic: topics.dlq,
        acks: -1,
        messages: late.map(({ source, reading }) => ({
          key: reading.deviceId,
          value: JSON.stringify(reading),
          headers: {
            ...deadLetterHeaders('late', `event time ${new Date(reading.ts).toISOString()} is more than ${allowedLatenessMs} ms behind the device's newest reading (${new Date(watermark).toISOString()})`, source),
            'vigil.dlq.value': 'canonical-reading',
          },
        })),
      });
      workerMetrics.lateReadings.inc(late.length);
    },
  };
}
