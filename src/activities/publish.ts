import type { Producer } from 'kafkajs';
import type { AnomalyEvent, DeviceEvent } from '../events';

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
    },
    async publishDeviceEvents(events: DeviceEvent[]): Promise<void> {
      await publish(topics.deviceEvents, events);
    },
  };
}
