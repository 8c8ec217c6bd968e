import type { Producer } from 'kafkajs';
import { type Aggregate, aggregatesContract } from '../contracts/aggregates';
import { anomaliesContract, type AnomalyEvent } from '../contracts/anomalies';
import { lateReadingRecord } from '../contracts/dead-letters';
import { type DeviceEvent, deviceEventsContract } from '../contracts/device-events';
import { enrichedContract, type EnrichedReading } from '../contracts/enriched';
import type { ClosedReportWindows } from '../device/anomaly-report';
import { dropInAnomalyMessages, dropInEnrichedMessages, dropInReportMessages, type DropInSettings } from '../drop-in';
import { logger } from '../logger';
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
  /** The sensor notebook's report windows the device closed, as runs (the rows are written here). */
  report?: ClosedReportWindows;
}

/** An enriched reading, with its reading's attributes (for the drop-in records that give the input record back). */
export interface EnrichedOutput {
  record: EnrichedReading;
  attrs: Readonly<Record<string, string>> | undefined;
}

const log = logger.child({ component: 'publisher' });

type PublishTopics = { anomalies: string; deviceEvents: string; aggregates: string; dlq: string; enriched: string };

/**
 * Every Kafka output of a device, through each topic's contract (keyed by device, aggregates by
 * window) with the drop-in records that go with them (the sensor format's `{id, ts, temp}`, the
 * EPA format's `MonitoringRecord`s, …): one produce request per call, acknowledged by all replicas.
 */
export interface Publisher {
  /** What a batch of the device workflow has to say: the `publishBatch` activity. */
  publish(publication: Publication): Promise<void>;
  /**
   * HTM's enriched readings: published by the scoring activity as it makes them, so they cost no
   * second activity and never pass through the workflow's history (their ids are deterministic,
   * so a retried scoring re-publishes the same records).
   */
  publishEnriched(enriched: EnrichedOutput[]): Promise<void>;
}

/** `producer`: anything that sends a batch as kafkajs's producer does (the worker's recovers its idempotence session). */
export function createPublisher(producer: Pick<Producer, 'sendBatch'>, topics: PublishTopics, dropIn: DropInSettings): Publisher {
  return {
    /**
     * A batch's anomalies (with their drop-in records), window results, connection events and
     * late readings, in one produce request, then the counters. Late readings go to the DLQ with reason `late`: the original
     * bytes stay in the input topic at the offset named in the headers; the value is the reading as read.
     */
    async publish({ anomalies, aggregates, deviceEvents, late, report }: Publication): Promise<void> {
      const topicMessages = [
        { topic: topics.anomalies, messages: anomalies.map((record) => anomaliesContract.encode(record)) },
        { topic: topics.aggregates, messages: aggregates.map((record) => aggregatesContract.encode(record)) },
        { topic: topics.deviceEvents, messages: deviceEvents.map((record) => deviceEventsContract.encode(record)) },
        { topic: topics.dlq, messages: (late?.late ?? []).map(({ reading, source }) => lateReadingRecord(reading, source, late!.watermark, late!.allowedLatenessMs)) },
        ...dropInAnomalyMessages(anomalies, dropIn),
        ...dropInReportMessages(report, dropIn),
      ].filter((t) => t.messages.length > 0);
      if (topicMessages.length > 0) {
        const written = await producer.sendBatch({ acks: -1, topicMessages });
        // Where each acknowledged batch of anomaly steps landed: an audit can account for every id.
        if (anomalies.length > 0 && log.isLevelEnabled('debug')) {
          const at = written.filter((w) => w.topicName === topics.anomalies).map((w) => `${w.partition}@${w.baseOffset}`);
          log.debug({ eventIds: anomalies.map((a) => a.eventId), at }, 'anomalies published');
        }
      }
      for (const a of anomalies) workerMetrics.anomalies.inc({ detector: a.detector, status: a.status });
      for (const a of aggregates) workerMetrics.aggregates.inc({ kind: a.kind, final: String(a.final) });
      for (const e of deviceEvents) workerMetrics.deviceEvents.inc({ type: e.type });
      if (late) workerMetrics.lateReadings.inc(late.late.length);
    },

    async publishEnriched(enriched: EnrichedOutput[]): Promise<void> {
      if (enriched.length === 0) return;
      const topicMessages = [{ topic: topics.enriched, messages: enriched.map(({ record }) => enrichedContract.encode(record)) }, ...dropInEnrichedMessages(enriched, dropIn)];
      await producer.sendBatch({ acks: -1, topicMessages });
    },
  };
}

/** The device workflow's publication activity. */
export function createPublishActivities(publisher: Publisher) {
  return {
    publishBatch: (publication: Publication): Promise<void> => publisher.publish(publication),
  };
}
