import type { Producer } from 'kafkajs';
import type { AnomalyEvent } from '../events';

/** Publishes anomaly events keyed by device; the event id in a header lets consumers de-duplicate retries. */
export function createPublishActivities(producer: Producer, anomaliesTopic: string) {
  return {
    async publishAnomalies(anomalies: AnomalyEvent[]): Promise<void> {
      await producer.send({
        topic: anomaliesTopic,
        acks: -1,
        messages: anomalies.map((anomaly) => ({
          key: anomaly.deviceId,
          value: JSON.stringify(anomaly),
          headers: { 'vigil.event-id': anomaly.eventId },
        })),
      });
    },
  };
}
