import type { Producer } from 'kafkajs';
import type { AnomalyEvent, DeviceEvent } from '../events';
import { workerMetrics } from '../metrics';

/** Publishes events keyed by device; the event id in a header lets consumers de-duplicate retries. */
export function createPublishActivities(producer: Producer, topics: { anomalies: string; deviceEvents: string }) {
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
  };
}
